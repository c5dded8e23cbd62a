/// Computes each key's value once and hands the same value to every caller,
/// including callers that ask while the first computation is still running.
///
/// This is how one run looks each domain up once even when several
/// companies share it and are checked concurrently: the first caller starts
/// the task, later callers await that same task.
actor AsyncMemo<Key: Hashable & Sendable, Value: Sendable> {
    private var tasks: [Key: Task<Value, Never>] = [:]

    func value(for key: Key, compute: @escaping @Sendable () async -> Value) async -> Value {
        if let task = tasks[key] { return await task.value }
        let task = Task { await compute() }
        tasks[key] = task
        return await task.value
    }
}
