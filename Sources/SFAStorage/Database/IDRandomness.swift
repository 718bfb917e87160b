import Foundation
import Synchronization

/// The random bits of record ids, drawn from the kernel 4 KiB at a time: one
/// `getrandom` per 256 ids, where `SystemRandomNumberGenerator` makes one system call
/// per 64-bit draw, two per id. Ids are made on a tenant's writer (every audit event
/// has one), where each system call holds up the writes queued behind it. Every word
/// comes from `getrandom`, as before, and is handed out once (within this process: a
/// child made by `fork` would copy the pool, and sfad does not fork).
enum IDRandomness {
    /// Words drawn at once: 4 KiB.
    static let batch = 512

    private static let pool = Mutex<(words: [UInt64], next: Int)>(([UInt64](repeating: 0, count: batch), batch))

    /// Two random words not handed out before.
    static func twoWords() -> (UInt64, UInt64) {
        pool.withLock { pool in
            if pool.next + 2 > pool.words.count {
                refill(&pool.words)
                pool.next = 0
            }
            defer { pool.next += 2 }
            return (pool.words[pool.next], pool.words[pool.next + 1])
        }
    }

    /// Fills `words` from the kernel's random source: glibc's `arc4random_buf` is one
    /// `getrandom` (2.36 keeps no state of its own), which it repeats after a signal
    /// and which stops the process if the kernel cannot give random bytes, as the
    /// standard library's generator does.
    private static func refill(_ words: inout [UInt64]) {
        words.withUnsafeMutableBytes { buffer in arc4random_buf(buffer.baseAddress!, buffer.count) }
    }
}
