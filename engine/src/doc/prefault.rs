//! Faulting in a buffer's pages on one thread for another to fill.
//!
//! The first write to a fresh page costs its writer a page fault: about
//! 1.6 µs on this machine, and a quarter of a snapshot load's building thread
//! (SPEC.md §5.5). That thread is the busier of the load's two, and the op
//! records are its largest buffer (48 bytes an op). So the hashing thread,
//! between its blocks, writes one blank record into each page of a buffer
//! made for them, and hands the buffer over, empty but for its room.

use std::sync::mpsc::Sender;

/// Steps a buffer is faulted in over.
const STEPS: usize = 8;

/// Room for `n` items, being faulted in a part at a time.
pub(crate) struct Prefault<T> {
    buf: Vec<T>,
    /// Slots a step covers.
    per_step: usize,
    /// Slots below this one have had their pages written.
    done: usize,
    /// Makes the item written into each page. It must own no heap memory:
    /// it is written into spare room, so it is never dropped.
    blank: fn() -> T,
    to: Sender<Vec<T>>,
}

impl<T> Prefault<T> {
    pub fn new(n: usize, blank: fn() -> T, to: Sender<Vec<T>>) -> Self {
        Prefault {
            buf: Vec::with_capacity(n),
            per_step: n.div_ceil(STEPS),
            done: 0,
            blank,
            to,
        }
    }

    /// Items a page holds, at least one: writing every this-many-th item
    /// writes into every page, as the gap between two writes is shorter
    /// than a page.
    fn stride() -> usize {
        (4096 / std::mem::size_of::<T>().max(1)).max(1)
    }

    /// Writes the pages of the next [`STEPS`]th of the buffer, and once
    /// every page is written sends the buffer on. Returns whether it is done.
    pub fn step(&mut self) -> bool {
        let stride = Self::stride();
        let spare = self.buf.spare_capacity_mut();
        let end = self.done.saturating_add(self.per_step).min(spare.len());
        // `done` stays a multiple of the stride, so the writes keep it.
        for slot in spare.iter_mut().take(end).skip(self.done).step_by(stride) {
            slot.write((self.blank)());
        }
        self.done = end.div_ceil(stride) * stride;
        if self.done < spare.len() {
            return false;
        }
        // The building side may have finished already; then nobody needs it.
        let _ = self.to.send(std::mem::take(&mut self.buf));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sends_an_empty_buffer_with_all_its_room_once_every_step_is_taken() {
        for n in [0, 1, 84, 85, 86, 1000, 100_000, 100_003] {
            let (tx, rx) = std::sync::mpsc::channel();
            let mut p: Prefault<[u64; 6]> = Prefault::new(n, || [7; 6], tx);
            let mut steps = 1;
            while !p.step() {
                steps += 1;
                assert!(rx.try_recv().is_err(), "sent early");
            }
            let buf = rx.try_recv().unwrap();
            assert!(buf.is_empty());
            assert!(buf.capacity() >= n);
            assert!(steps <= STEPS + 1, "{n}: {steps} steps");
        }
    }
}
