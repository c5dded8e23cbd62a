import MailformCore

/// The settings an apply writes, by company id: held in memory, or read
/// again from the files chunk by chunk as the apply writes them (a plan of
/// 100,000 added companies would otherwise hold every one of them).
public struct DesiredCompanies: Sendable {
    private let held: [String: Company<ResolvedSecret>]
    private let reloadable: Set<String>
    private let reload: (@Sendable ([String]) throws -> [String: Company<ResolvedSecret>])?

    /// Companies in memory.
    public static func held(_ companies: [String: Company<ResolvedSecret>]) -> DesiredCompanies {
        DesiredCompanies(held: companies, reloadable: [], reload: nil)
    }

    /// Some in memory, the others (`reloadable`) read again by `reload`,
    /// which throws when a company is no longer what the plan showed.
    public static func reloaded(held: [String: Company<ResolvedSecret>], reloadable: Set<String>,
                                reload: @escaping @Sendable ([String]) throws -> [String: Company<ResolvedSecret>]) -> DesiredCompanies {
        DesiredCompanies(held: held, reloadable: reloadable, reload: reload)
    }

    public func contains(_ id: String) -> Bool { held[id] != nil || reloadable.contains(id) }

    /// The companies of these ids (each must be `contains`).
    public func companies(_ ids: [String]) throws -> [String: Company<ResolvedSecret>] {
        var out: [String: Company<ResolvedSecret>] = [:]
        var again: [String] = []
        for id in ids {
            if let company = held[id] { out[id] = company } else if reloadable.contains(id) { again.append(id) }
        }
        if !again.isEmpty, let reload { out.merge(try reload(again)) { a, _ in a } }
        return out
    }
}
