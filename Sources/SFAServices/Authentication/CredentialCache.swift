import SFAStorage
import Synchronization

/// Credentials of API keys that presented their right secret, kept in memory so that
/// admitting a call is a lookup under a lock instead of a read of the control plane.
///
/// An entry is the credential as read after loading the control plane's
/// `accessGeneration`, and is used only while the generation is still that one: any
/// committed change to tenants, users or keys makes every entry stale at once, and a
/// read that raced a change is stored under the generation from before the change, so
/// it is never taken for current. Keys that are unknown or presented with a wrong
/// secret are never stored, so random key ids cannot grow the cache; verified keys are
/// bounded by `capacity`.
final class CredentialCache: Sendable {
    private struct Entry {
        var credential: Credential
        /// The access generation loaded before the credential was read.
        var generation: UInt64
        /// When the key's last use was last recorded (or queued to be).
        var lastTouchMs: Int64
    }

    /// The most entries kept.
    let capacity: Int
    private let entries: Mutex<[String: Entry]>

    init(capacity: Int) {
        precondition(capacity > 0, "a credential cache holds at least one entry")
        self.capacity = capacity
        self.entries = Mutex([:])
    }

    /// How many entries are kept, current or stale.
    var count: Int { entries.withLock { $0.count } }

    /// The credential of `keyID` if it was read at `generation`, the current one.
    func credential(keyID: String, generation: UInt64) -> Credential? {
        entries.withLock { entries in
            guard let entry = entries[keyID], entry.generation == generation else { return nil }
            return entry.credential
        }
    }

    /// Keeps `credential`, read after loading `generation`. An entry read at a later
    /// generation is not replaced. At capacity, entries older than `generation` go
    /// first (they can no longer be used), and everything when that is not enough.
    func store(_ credential: Credential, keyID: String, generation: UInt64) {
        entries.withLock { entries in
            let previous = entries[keyID]
            if let previous, previous.generation > generation { return }
            if previous == nil, entries.count >= capacity {
                entries = entries.filter { $0.value.generation >= generation }
                if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            }
            // A last use recorded since the read, or still being written, counts.
            let lastTouchMs = max(previous?.lastTouchMs ?? 0, credential.key.lastUsedTimeMs)
            entries[keyID] = Entry(credential: credential, generation: generation, lastTouchMs: lastTouchMs)
        }
    }

    /// Whether the last use of `keyID` is due to be recorded at `nowMs`: more than
    /// `intervalMs` after the last time it was (`recordedMs`, the stored value, when
    /// the key has no entry). When due, `nowMs` counts as recorded from now on, so that
    /// of calls made together with one key only one records it.
    func claimTouch(keyID: String, recordedMs: Int64, nowMs: Int64, intervalMs: Int64) -> Bool {
        entries.withLock { entries in
            guard var entry = entries[keyID] else { return nowMs - recordedMs > intervalMs }
            guard nowMs - entry.lastTouchMs > intervalMs else { return false }
            entry.lastTouchMs = nowMs
            entries[keyID] = entry
            return true
        }
    }
}
