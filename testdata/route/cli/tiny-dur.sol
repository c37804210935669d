Route #1: 5 4
Route #2: 2
Route #3: 3 1
Route #4: 7 6
Cost 212
