import Foundation
import SFALoad

/// A line on standard error, rewritten every second, while a run or a setup goes on;
/// nothing when standard error is not a terminal (logs and CI stay clean).
enum ProgressLine {
    /// Rewrites the line until the task is cancelled, then clears it. `label` names
    /// what `progress` counts.
    static func show(_ progress: LoadProgress, label: String) -> Task<Void, Never>? {
        guard isatty(STDERR_FILENO) != 0 else { return nil }
        return Task {
            let start = ContinuousClock.now
            var last = (time: start, done: 0)
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                let now = ContinuousClock.now
                let done = progress.succeeded + progress.failed
                let rate = Double(done - last.done) / max(seconds(now - last.time), 1e-3)
                let elapsed = seconds(now - start)
                let line = String(format: "%5.0f s  ", elapsed) + "\(progress.succeeded) \(label)  \(progress.failed) failed  "
                    + String(format: "%.0f/s", rate)
                FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
                last = (now, done)
            }
            FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
        }
    }
}

private func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
}
