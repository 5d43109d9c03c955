//! A bounded text buffer that extractors write into.

/// Text being extracted, cut at a byte limit (on a char boundary).
#[derive(Debug, Default)]
pub(crate) struct Sink {
    pub(crate) text: String,
    max: usize,
    pub(crate) truncated: bool,
}

impl Sink {
    pub(crate) fn new(max: usize) -> Self {
        Sink {
            text: String::new(),
            max,
            truncated: false,
        }
    }

    /// True once the limit is reached: extractors stop early.
    pub(crate) fn full(&self) -> bool {
        self.truncated
    }

    /// Appends as much of `s` as fits.
    pub(crate) fn push_str(&mut self, s: &str) {
        if self.truncated {
            return;
        }
        let room = self.max - self.text.len();
        if s.len() <= room {
            self.text.push_str(s);
        } else {
            let mut cut = room;
            while !s.is_char_boundary(cut) {
                cut -= 1;
            }
            self.text.push_str(&s[..cut]);
            self.truncated = true;
        }
    }

    pub(crate) fn push(&mut self, c: char) {
        let mut b = [0u8; 4];
        self.push_str(c.encode_utf8(&mut b));
    }

    /// Starts a new line unless the text is empty or already ends with one.
    pub(crate) fn newline(&mut self) {
        while self.text.ends_with([' ', '\t']) {
            self.text.pop();
        }
        if !self.text.is_empty() && !self.text.ends_with('\n') {
            self.push('\n');
        }
    }

    /// Separates words unless the text is empty or ends with white space.
    pub(crate) fn space(&mut self) {
        if !self.text.is_empty() && !self.text.ends_with(|c: char| c.is_whitespace()) {
            self.push(' ');
        }
    }
}
