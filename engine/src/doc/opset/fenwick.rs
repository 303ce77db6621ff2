//! A Fenwick tree of widths, for finding which chunk of a sequence holds a
//! given index in O(log n).

#[derive(Clone, Debug, Default)]
pub(crate) struct Fenwick {
    tree: Vec<u64>,
}

impl Fenwick {
    /// A tree over these widths.
    pub fn build(widths: impl Iterator<Item = u64>) -> Self {
        let mut tree: Vec<u64> = widths.collect();
        for i in 0..tree.len() {
            let parent = i | (i + 1);
            if parent < tree.len() {
                tree[parent] += tree[i];
            }
        }
        Fenwick { tree }
    }

    /// Adds `delta` (which may be negative, as a wrapping u64) at `pos`.
    pub fn add(&mut self, mut pos: usize, delta: i64) {
        while pos < self.tree.len() {
            self.tree[pos] = self.tree[pos].wrapping_add(delta as u64);
            pos |= pos + 1;
        }
    }

    /// The sum of widths before `pos`.
    pub fn prefix(&self, pos: usize) -> u64 {
        let mut sum = 0u64;
        let mut i = pos;
        while i > 0 {
            sum = sum.wrapping_add(self.tree[i - 1]);
            i &= i - 1;
        }
        sum
    }

    /// The first position whose prefix sum plus its own width exceeds `target`,
    /// and the sum before it; `None` if the total is at most `target`.
    pub fn find(&self, target: u64) -> Option<(usize, u64)> {
        let n = self.tree.len();
        let mut pos = 0usize;
        let mut rem = target;
        let mut step = n.next_power_of_two();
        while step > 0 {
            let next = pos + step;
            if next <= n && self.tree[next - 1] <= rem {
                pos = next;
                rem -= self.tree[next - 1];
            }
            step >>= 1;
        }
        (pos < n).then_some((pos, target - rem))
    }
}

#[cfg(test)]
mod tests {
    use super::Fenwick;

    #[test]
    fn finds_positions_by_prefix() {
        let widths = [3u64, 0, 2, 5, 0, 1];
        let mut f = Fenwick::build(widths.iter().copied());
        assert_eq!(f.prefix(4), 10);
        assert_eq!(f.find(0), Some((0, 0)));
        assert_eq!(f.find(2), Some((0, 0)));
        assert_eq!(f.find(3), Some((2, 3)));
        assert_eq!(f.find(5), Some((3, 5)));
        assert_eq!(f.find(10), Some((5, 10)));
        assert_eq!(f.find(11), None);
        f.add(1, 4);
        f.add(3, -5);
        assert_eq!(f.prefix(6), 10);
        assert_eq!(f.find(3), Some((1, 3)));
        assert_eq!(f.find(7), Some((2, 7)));
        assert_eq!(f.find(9), Some((5, 9)));
    }
}
