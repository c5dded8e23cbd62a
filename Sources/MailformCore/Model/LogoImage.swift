import JSONSchema

public struct LogoImage: Sendable, Equatable {
    /// The file name as written in the company file (kept for export).
    public var fileName: String
    public var mediaType: String
    public var bytes: [UInt8]
    /// Hex SHA-256 of the bytes, used to compare logos without printing them.
    public var sha256: String

    public init(fileName: String, mediaType: String, bytes: [UInt8], sha256: String) {
        self.fileName = fileName
        self.mediaType = mediaType
        self.bytes = bytes
        self.sha256 = sha256
    }
}
