//! The maps and sets the contexts' state lives in: the standard ones with a
//! faster, randomly seeded hasher, since a service folds every event of its
//! topic (or a snapshot of millions of entries) into them at start.

pub type Map<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
pub type Set<T> = std::collections::HashSet<T, foldhash::fast::RandomState>;
