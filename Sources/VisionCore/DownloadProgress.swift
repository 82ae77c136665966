/// Progress of one file's download.
public struct DownloadProgress: Sendable, Equatable {
    public let repoID: String
    public let path: String
    public let bytesDone: Int
    public let bytesTotal: Int?

    public init(repoID: String, path: String, bytesDone: Int, bytesTotal: Int?) {
        self.repoID = repoID
        self.path = path
        self.bytesDone = bytesDone
        self.bytesTotal = bytesTotal
    }
}
