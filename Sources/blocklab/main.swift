import BlockLabCLI

BlockLabCommand.main()
