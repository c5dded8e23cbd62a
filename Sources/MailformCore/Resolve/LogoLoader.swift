import Foundation

/// Reads a logo image named by a path beside the company file.
public enum LogoLoader {
    public static let maxSize = 1 << 20

    public enum Problem: MailformError {
        case outsideWorkspace, missing, tooLarge(Int), notAnImage(String)

        public var code: ErrorCode { .logoUnusable }
        public var description: String { message }

        public var message: String {
            switch self {
            case .outsideWorkspace: "logo path leaves the workspace, or is hidden, or is the store or its key"
            case .missing: "logo file does not exist"
            case .tooLarge(let size): "logo file is \(size) bytes, over the 1 MiB limit"
            case .notAnImage(let why): "logo file is not a usable PNG, JPEG or SVG image: \(why)"
            }
        }
    }

    /// Loads and checks the image; `file` is the absolute path of the company file.
    /// The same fence as company files (inside the workspace, not hidden, not
    /// the store or its key), and the size checked on the opened file.
    public static func load(_ relativePath: String, from file: String, fence: WorkspaceFence) -> Result<LogoImage, Problem> {
        let absolute = Paths.absolute(relativePath, relativeTo: Paths.directory(of: file))
        guard Paths.exists(absolute), !Paths.isDirectory(absolute) else { return .failure(.missing) }
        guard case .success(let real) = fence.admit(absolute, requireYAML: false) else { return .failure(.outsideWorkspace) }
        let bytes: [UInt8]
        switch SafeFile.read(real, limit: maxSize) {
        case .success(let read): bytes = read
        case .failure(.tooLarge(let size, _)): return .failure(.tooLarge(size))
        case .failure: return .failure(.missing)
        }
        let mediaType: String
        switch ImageCheck.check(bytes) {
        case .image(let type): mediaType = type
        case .refused(let why): return .failure(.notAnImage(why))
        }
        return .success(LogoImage(fileName: relativePath, mediaType: mediaType, bytes: bytes, sha256: Digest.sha256Hex(bytes)))
    }

    /// The media type the parsed bytes have (``ImageCheck``), never the
    /// name's; `nil` for anything that is not a safe image.
    public static func mediaType(of bytes: [UInt8]) -> String? {
        if case .image(let mediaType) = ImageCheck.check(bytes) { return mediaType }
        return nil
    }
}
