import JSONSchema

public enum StartTLS: String, Sendable, Codable {
    case required, optional, off
}
