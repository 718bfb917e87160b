/// The version of this build: what `--version` prints and `GetServerStats` reports.
public enum SalesWireVersion {
    /// Raise it when a release is tagged.
    public static let current = "0.1.0"
}
