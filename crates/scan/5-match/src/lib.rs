//! Matches an inventory against the vulnerability database and explains each finding.
