import JSONSchema

public struct SMTPPool<SecretValue: Sendable>: Sendable {
    public var name: String
    public var useFor: [MailPurpose]
    public var strategy: PoolStrategy
    public var servers: [SMTPServer<SecretValue>]

    public init(name: String, useFor: [MailPurpose], strategy: PoolStrategy, servers: [SMTPServer<SecretValue>]) {
        self.name = name
        self.useFor = useFor
        self.strategy = strategy
        self.servers = servers
    }

    /// - Throws: what `transform` throws.
    public func map<T>(_ transform: (SecretValue) throws -> T) rethrows -> SMTPPool<T> {
        SMTPPool<T>(name: name, useFor: useFor, strategy: strategy, servers: try servers.map { try $0.map(transform) })
    }
}
