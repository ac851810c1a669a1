print("conductor")
