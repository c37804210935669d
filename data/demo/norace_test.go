//go:build !race

package demo_test

const raceBuild = false
