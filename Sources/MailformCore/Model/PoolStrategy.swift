import JSONSchema

public enum PoolStrategy: String, Sendable, Codable {
    case failover
    case roundRobin = "round_robin"
}
