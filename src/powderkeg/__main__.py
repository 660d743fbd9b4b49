from powderkeg.cli import main

main()
