print("sfactl: being written")
