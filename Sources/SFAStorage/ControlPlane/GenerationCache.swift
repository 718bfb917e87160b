import Synchronization

/// Values read from the control plane, kept while its access generation has not
/// moved: an entry is stored with the generation loaded *before* its read and used
/// only while the generation is still that one, so a read that raced a change is
/// never taken for current. The gate's credentials and the team scopes use it.
public final class GenerationCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    /// The most entries kept.
    public let capacity: Int
    private let entries = Mutex<[Key: (generation: UInt64, value: Value)]>([:])

    public init(capacity: Int) {
        precondition(capacity > 0, "a cache holds at least one entry")
        self.capacity = capacity
    }

    /// How many entries are kept, current or stale.
    public var count: Int { entries.withLock { $0.count } }

    /// The value of `key` if it was read at `generation`, the current one.
    public func value(_ key: Key, generation: UInt64) -> Value? {
        entries.withLock { entries in
            guard let entry = entries[key], entry.generation == generation else { return nil }
            return entry.value
        }
    }

    /// Keeps `value`, read after loading `generation`, unless an entry read at a later
    /// generation is there; `merge` combines it with the entry it replaces. At
    /// capacity the entries of older generations go first (they can no longer be
    /// used), then all.
    public func store(_ value: Value, for key: Key, generation: UInt64, merge: (_ old: Value, _ new: Value) -> Value = { $1 }) {
        entries.withLock { entries in
            let previous = entries[key]
            if let previous, previous.generation > generation { return }
            if previous == nil, entries.count >= capacity {
                entries = entries.filter { $0.value.generation >= generation }
                if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            }
            entries[key] = (generation, previous.map { merge($0.value, value) } ?? value)
        }
    }

    /// Runs `body` on the entry of `key` whatever its generation, under the lock;
    /// nil when there is none.
    public func update<Result>(_ key: Key, _ body: (inout Value) -> Result) -> Result? {
        entries.withLock { entries in
            guard let index = entries.index(forKey: key) else { return nil }
            return body(&entries.values[index].value)
        }
    }
}
