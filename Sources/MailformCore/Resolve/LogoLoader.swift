import Foundation

/// Reads a logo image named by a path beside the company file.
public enum LogoLoader {
    public static let maxSize = 1 << 20

    public enum Problem: Error {
        case outsideWorkspace, missing, tooLarge(Int), notAnImage

        public var message: String {
            switch self {
            case .outsideWorkspace: "logo path leaves the workspace"
            case .missing: "logo file does not exist"
            case .tooLarge(let size): "logo file is \(size) bytes, over the 1 MiB limit"
            case .notAnImage: "logo file is not a PNG, JPEG or SVG image"
            }
        }
    }

    /// Loads and checks the image; `file` is the absolute path of the company file.
    public static func load(_ relativePath: String, from file: String, workspaceRoot: String) -> Result<LogoImage, Problem> {
        let absolute = Paths.absolute(relativePath, relativeTo: Paths.directory(of: file))
        guard Paths.exists(absolute), !Paths.isDirectory(absolute) else { return .failure(.missing) }
        guard Paths.isInside(Paths.real(absolute), Paths.real(workspaceRoot)) else { return .failure(.outsideWorkspace) }
        let size = (try? FileManager.default.attributesOfItem(atPath: absolute)[.size] as? Int) ?? 0
        guard size <= maxSize else { return .failure(.tooLarge(size)) }
        guard let bytes = try? Paths.readBytes(absolute) else { return .failure(.missing) }
        guard let mediaType = mediaType(of: bytes) else { return .failure(.notAnImage) }
        return .success(LogoImage(fileName: relativePath, mediaType: mediaType, bytes: bytes, sha256: Digest.sha256Hex(bytes)))
    }

    /// The media type from the file's first bytes, not its name.
    static func mediaType(of bytes: [UInt8]) -> String? {
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return "image/png" }
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return "image/jpeg" }
        let head = String(decoding: bytes.prefix(4096), as: UTF8.self)
        if head.contains("<svg") { return "image/svg+xml" }
        return nil
    }
}
