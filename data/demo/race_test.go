//go:build race

package demo_test

// raceBuild shrinks the shared data set: the race detector makes the
// generator and the strict reader several times slower.
const raceBuild = true
