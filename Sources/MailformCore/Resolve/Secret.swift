import JSONSchema

/// A secret reference as written in a file: `${env:NAME}` or `${file:PATH}`.
///
/// The reference is safe to show and to save in plans; the value it points
/// to never is.
public struct SecretReference: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        case env(String)
        case file(String)
    }

    public var kind: Kind
    /// Where the reference was written; `nil` for references made by mailform.
    public var mark: Mark?

    public init(kind: Kind, mark: Mark? = nil) {
        self.kind = kind
        self.mark = mark
    }

    /// Parses `${env:NAME}` or `${file:PATH}`; `nil` for anything else.
    public init?(parsing text: String, mark: Mark? = nil) {
        guard text.hasPrefix("${"), text.hasSuffix("}") else { return nil }
        let body = text.dropFirst(2).dropLast()
        if body.hasPrefix("env:") {
            let name = String(body.dropFirst(4))
            guard !name.isEmpty, name.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_") })
            else { return nil }
            kind = .env(name)
        } else if body.hasPrefix("file:") {
            let path = String(body.dropFirst(5))
            guard !path.isEmpty, !path.contains("}") else { return nil }
            kind = .file(path)
        } else {
            return nil
        }
        self.mark = mark
    }

    public var description: String {
        switch kind {
        case .env(let name): "${env:\(name)}"
        case .file(let path): "${file:\(path)}"
        }
    }

    public static func == (lhs: SecretReference, rhs: SecretReference) -> Bool { lhs.kind == rhs.kind }
    public func hash(into hasher: inout Hasher) { hasher.combine(kind) }
}

/// A secret value. It prints as `(sensitive)` in every interpolation, dump and
/// debug description, and is deliberately not `Codable`, so it cannot reach an
/// output, a plan file or a log by accident.
public struct Secret: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable, Equatable {
    private let bytes: [UInt8]

    public init(bytes: [UInt8]) { self.bytes = bytes }
    public init(_ string: String) { self.bytes = Array(string.utf8) }

    public var description: String { "(sensitive)" }
    public var debugDescription: String { "(sensitive)" }
    public var customMirror: Mirror { Mirror(self, children: []) }

    /// Hands the value to code that must use it (encryption at rest, HMAC,
    /// the probe's AUTH). Keep the use inside `body`; never print it.
    /// - Throws: what `body` throws.
    public func withRevealedBytes<R>(_ body: ([UInt8]) throws -> R) rethrows -> R { try body(bytes) }

    public var isEmpty: Bool { bytes.isEmpty }
}

/// A resolved secret of the desired settings: its reference and its value.
public struct ResolvedSecret: Sendable {
    public var reference: SecretReference
    public var secret: Secret
    /// The absolute path of the file that holds the reference (`${file:}` is relative to it).
    public var origin: String
    /// The reference as the store records it and plans compare it
    /// (``SecretReference/canonical(origin:workspaceRoot:)``).
    public var canonical: String
    /// Whether the reference was written in a profile (shared by every
    /// company that extends it) rather than in the company's own file.
    public var fromProfile: Bool

    public init(reference: SecretReference, secret: Secret, origin: String, canonical: String? = nil, fromProfile: Bool = false) {
        self.reference = reference
        self.secret = secret
        self.origin = origin
        self.canonical = canonical ?? reference.description
        self.fromProfile = fromProfile
    }
}

extension SecretReference {
    /// The reference independent of the file that holds it: `${env:NAME}`
    /// as written; `${file:PATH}` with PATH relative to the workspace root
    /// (absolute when outside it), normalised, and with every symbolic link
    /// on the way replaced by its target (even a dangling one). Two
    /// checkouts of one workspace in different folders give the same text,
    /// and two files that name one secret file through different relative
    /// paths or links too.
    public func canonical(origin: String, workspaceRoot: String) -> String {
        switch kind {
        case .env: return description
        case .file(let path):
            let absolute = Paths.resolvingLinks(Paths.absolute(path, relativeTo: Paths.directory(of: origin)))
            let rootPath = Paths.resolvingLinksOnce(workspaceRoot)
            let root = rootPath.hasSuffix("/") ? String(rootPath.dropLast()) : rootPath
            if Paths.isInside(absolute, root) && absolute != root {
                return "${file:" + String(absolute.dropFirst(root.count + 1)) + "}"
            }
            return "${file:" + absolute + "}"
        }
    }
}

/// The keys whose values are secrets. A value written there is never quoted
/// back in any message, even when it is a literal or malformed.
public enum SecretFields {
    /// The last key of every secret field: the server's (from `SMTPServerShape`:
    /// `password`, `client_secret`, `service_account_key`) and Mailgun's `api_key`.
    public static let keys: Set<String> = Set(SMTPServerShape.secretKeys.compactMap { $0.split(separator: ".").last.map(String.init) })
        .union(["api_key"])
}
