//! Supervision: every background part of a node runs under `Health`. A part
//! that panics or fails is logged, shown by `/v1/status`, and stops the node,
//! which then exits with an error: a node never looks healthy while part of
//! it is dead.
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

pub struct Health {
    stop: Arc<AtomicBool>,
    problems: Mutex<Vec<String>>,
}

impl Health {
    /// `stop` is the node's stop flag, raised on the first failure.
    pub fn new(stop: Arc<AtomicBool>) -> Arc<Self> {
        Arc::new(Health {
            stop,
            problems: Mutex::new(Vec::new()),
        })
    }

    /// Record that `part` failed, and stop the node.
    pub fn fail(&self, part: &str, what: impl std::fmt::Display) {
        let line = format!("{part}: {what}");
        tracing::error!(part, problem = %what, "a part of the node failed; stopping");
        self.problems
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(line);
        self.stop.store(true, Ordering::SeqCst);
    }

    pub fn problems(&self) -> Vec<String> {
        self.problems
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn is_healthy(&self) -> bool {
        self.problems
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_empty()
    }

    pub fn stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    pub fn stop_flag(&self) -> Arc<AtomicBool> {
        self.stop.clone()
    }

    /// Run `f` on a named thread; a panic in it is a failure of `part`.
    pub fn spawn<F>(
        self: &Arc<Self>,
        part: &str,
        f: F,
    ) -> std::io::Result<std::thread::JoinHandle<()>>
    where
        F: FnOnce() + Send + 'static,
    {
        let me = self.clone();
        let name = part.to_string();
        std::thread::Builder::new()
            .name(name.clone())
            .spawn(move || {
                if let Err(p) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
                    me.fail(&name, format!("panicked: {}", panic_text(&*p)));
                }
            })
    }
}

/// The message of a panic payload.
pub fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panicking_part_is_reported_and_stops_the_node() {
        let stop = Arc::new(AtomicBool::new(false));
        let h = Health::new(stop.clone());
        assert!(h.is_healthy());
        h.spawn("responder", || panic!("index out of bounds"))
            .unwrap()
            .join()
            .unwrap();
        assert!(!h.is_healthy());
        assert!(stop.load(Ordering::SeqCst));
        assert_eq!(
            h.problems(),
            vec!["responder: panicked: index out of bounds"]
        );
    }
}
