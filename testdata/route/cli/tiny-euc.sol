Route #1: 6 5 7
Route #2: 3 4
Route #3: 2 1 8
Cost 431
