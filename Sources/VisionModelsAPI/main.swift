import VisionApp

await VisionModelsCommand.runFromCommandLine()
