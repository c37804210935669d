Route #1: 7
Route #2: 2
Route #3: 3 4 1
Route #4: 6 5
Cost 229
