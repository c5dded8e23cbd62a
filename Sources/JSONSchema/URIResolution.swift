import Foundation

/// RFC 3986 reference resolution, enough for `$id` and `$ref`.
enum URIResolution {
    /// Splits `uri#fragment` into the part before `#` and the (percent-decoded) fragment.
    static func split(_ uri: String) -> (base: String, fragment: String?) {
        guard let hash = uri.firstIndex(of: "#") else { return (uri, nil) }
        let fragment = String(uri[uri.index(after: hash)...])
        return (String(uri[..<hash]), fragment.removingPercentEncoding ?? fragment)
    }

    static func hasScheme(_ uri: String) -> Bool {
        guard let colon = uri.firstIndex(of: ":") else { return false }
        let scheme = uri[..<colon]
        guard let first = scheme.first, first.isLetter else { return false }
        return scheme.allSatisfy { $0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == "." }
    }

    /// Resolves `reference` against `base` (both may carry fragments).
    static func resolve(_ reference: String, against base: String) -> String {
        if hasScheme(reference) { return normalize(reference) }
        let (baseNoFragment, _) = split(base)
        if reference.hasPrefix("#") { return baseNoFragment + reference }
        if reference.isEmpty { return baseNoFragment }
        if baseNoFragment.isEmpty { return reference }
        if let url = URL(string: reference, relativeTo: URL(string: baseNoFragment)) {
            return normalize(url.absoluteString)
        }
        return reference
    }

    /// Drops an empty trailing fragment (`http://x/y#` is `http://x/y`).
    static func normalize(_ uri: String) -> String {
        uri.hasSuffix("#") ? String(uri.dropLast()) : uri
    }

    /// Decodes a JSON Pointer fragment into its reference tokens.
    static func pointerTokens(_ pointer: String) -> [String] {
        guard pointer.hasPrefix("/") else { return [] }
        return pointer.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
            $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        }
    }
}
