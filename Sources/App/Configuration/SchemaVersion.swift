/// The newest migration this build needs. `/readyz` reports not ready until the database has it,
/// so a replica of a new version never serves an old schema during a rolling deploy.
/// (A test checks it equals the highest file in migrations/.)
public enum SchemaVersion {
    public static let required = "0021"
}
