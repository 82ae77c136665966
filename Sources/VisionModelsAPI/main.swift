import VisionApp
await VisionModelsCommand.main()
