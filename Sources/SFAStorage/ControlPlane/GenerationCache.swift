import Synchronization

/// Values read from the control plane, kept while its access generation has not
/// moved: an entry is stored with the generation loaded *before* its read and used
/// only while the generation is still that one, so a read that raced a change is
/// never taken for current (the same rule as the gate's credential cache).
final class GenerationCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private let capacity: Int
    private let entries = Mutex<[Key: (generation: UInt64, value: Value)]>([:])

    init(capacity: Int) {
        self.capacity = capacity
    }

    func value(_ key: Key, generation: UInt64) -> Value? {
        entries.withLock { entries in
            guard let entry = entries[key], entry.generation == generation else { return nil }
            return entry.value
        }
    }

    /// Keeps `value`; at capacity the entries of older generations go first, then all.
    func store(_ value: Value, for key: Key, generation: UInt64) {
        entries.withLock { entries in
            if let previous = entries[key], previous.generation > generation { return }
            if entries[key] == nil, entries.count >= capacity {
                entries = entries.filter { $0.value.generation >= generation }
                if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            }
            entries[key] = (generation, value)
        }
    }
}
