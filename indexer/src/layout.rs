//! Where a home keeps its mail and its index: [`HomeLayout`], the one place that knows the
//! defaults (`HOME/Maildir`, `HOME/mailfts`).

use std::path::{Path, PathBuf};

/// The Maildir and index paths of a home, each relative to the home directory (or absolute).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HomeLayout {
    /// The Maildir root (default `Maildir`).
    pub maildir: PathBuf,
    /// The index directory (default `mailfts`).
    pub index: PathBuf,
}

impl Default for HomeLayout {
    fn default() -> Self {
        HomeLayout {
            maildir: PathBuf::from("Maildir"),
            index: PathBuf::from("mailfts"),
        }
    }
}

impl HomeLayout {
    /// The Maildir root of the home at `home`.
    pub fn maildir_of(&self, home: &Path) -> PathBuf {
        home.join(&self.maildir)
    }

    /// The index directory of the home at `home`.
    pub fn index_of(&self, home: &Path) -> PathBuf {
        home.join(&self.index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_are_under_the_home_and_absolute_ones_are_kept() {
        let l = HomeLayout::default();
        assert_eq!(l.maildir_of(Path::new("/h/a")), Path::new("/h/a/Maildir"));
        assert_eq!(l.index_of(Path::new("/h/a")), Path::new("/h/a/mailfts"));
        let l = HomeLayout {
            maildir: "mail".into(),
            index: "/var/idx".into(),
        };
        assert_eq!(l.maildir_of(Path::new("/h/a")), Path::new("/h/a/mail"));
        assert_eq!(l.index_of(Path::new("/h/a")), Path::new("/var/idx"));
    }
}
