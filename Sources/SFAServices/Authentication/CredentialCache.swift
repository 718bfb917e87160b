import SFAStorage

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
    private struct Entry: Sendable {
        var credential: Credential
        /// When the key's last use was last recorded (or queued to be).
        var lastTouchMs: Int64
    }

    private let entries: GenerationCache<String, Entry>

    init(capacity: Int) {
        entries = GenerationCache(capacity: capacity)
    }

    /// The most entries kept.
    var capacity: Int { entries.capacity }

    /// How many entries are kept, current or stale.
    var count: Int { entries.count }

    /// The credential of `keyID` if it was read at `generation`, the current one.
    func credential(keyID: String, generation: UInt64) -> Credential? {
        entries.value(keyID, generation: generation)?.credential
    }

    /// Keeps `credential`, read after loading `generation` (see `GenerationCache.store`).
    func store(_ credential: Credential, keyID: String, generation: UInt64) {
        entries.store(Entry(credential: credential, lastTouchMs: credential.key.lastUsedTimeMs), for: keyID, generation: generation) { old, new in
            // A last use recorded since the read, or still being written, counts.
            Entry(credential: new.credential, lastTouchMs: max(old.lastTouchMs, new.lastTouchMs))
        }
    }

    /// Whether the last use of `keyID` is due to be recorded at `nowMs`: more than
    /// `intervalMs` after the last time it was (`recordedMs`, the stored value, when
    /// the key has no entry). When due, `nowMs` counts as recorded from now on, so that
    /// of calls made together with one key only one records it.
    func claimTouch(keyID: String, recordedMs: Int64, nowMs: Int64, intervalMs: Int64) -> Bool {
        entries.update(keyID) { entry in
            guard nowMs - entry.lastTouchMs > intervalMs else { return false }
            entry.lastTouchMs = nowMs
            return true
        } ?? (nowMs - recordedMs > intervalMs)
    }
}
