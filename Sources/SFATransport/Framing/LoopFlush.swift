import NIOCore

/// One flush per turn of an event loop for the frames a handler writes: the first
/// write of a turn queues a flush behind itself, and every frame written before that
/// flush runs leaves with it in one `writev`, rather than a system call each.
/// Confined to the handler's event loop.
final class LoopFlush {
    private var queued = false

    /// Queues `flush` on `eventLoop` unless one is queued already.
    func queue(on eventLoop: any EventLoop, _ flush: @escaping () -> Void) {
        guard !queued else { return }
        queued = true
        let bound = NIOLoopBound((self, flush), eventLoop: eventLoop)
        eventLoop.execute {
            let (pending, flush) = bound.value
            pending.queued = false
            flush()
        }
    }
}
