import JSONSchema

/// The logo as configured: a URL, or an image file read from beside the company file.
public enum Logo: Sendable, Equatable {
    case url(String)
    case image(LogoImage)
}
