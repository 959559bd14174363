//! The browser's side of the live feeds (`/api/v1/logs`, `/api/v1/stats`): a websocket that
//! sends its request on open, hands every text frame to the page, reconnects with a growing
//! delay when it drops, and closes when the component using it goes away.

use leptos::prelude::*;

/// A feed request as the JSON text the server reads (empty outside the browser).
pub fn request_json(request: &engine::model::feeds::FeedRequest) -> String {
    #[cfg(feature = "hydrate")]
    {
        serde_json::to_string(request).unwrap_or_default()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = request;
        String::new()
    }
}

/// A frame from the server; an unreadable one is logged in the browser's console and skipped.
pub fn decode<T: serde::de::DeserializeOwned>(text: &str) -> Option<T> {
    #[cfg(feature = "hydrate")]
    {
        serde_json::from_str(text)
            .map_err(|e| leptos::logging::warn!("unreadable frame: {e}"))
            .ok()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = text;
        None
    }
}

/// The `ws://` or `wss://` URL of `path` on the host the page came from.
#[cfg(feature = "hydrate")]
pub fn websocket_url(path: &str) -> Option<String> {
    let location = web_sys::window()?.location();
    let scheme = if location.protocol().ok().as_deref() == Some("https:") {
        "wss"
    } else {
        "ws"
    };
    Some(format!("{scheme}://{}{path}", location.host().ok()?))
}

/// How long to wait before reconnecting after `failures` failed attempts: 250 ms doubling, at
/// most 10 s.
pub fn retry_delay(failures: u32) -> std::time::Duration {
    std::time::Duration::from_millis((250u64 << failures.min(5)).min(10_000))
}

/// Whether the feed is connected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedState {
    Connecting,
    Open,
    /// Dropped; retrying.
    Retrying,
}

/// Opens the websocket at `path` (in the browser; nothing on the server). `request` is called
/// on every (re)connect for the text to send, so a reconnect can ask only for what it missed.
/// Returns the connection state and a sender for later requests (the stats feed takes them).
pub fn open_feed(
    path: &'static str,
    request: impl Fn() -> String + 'static,
    on_frame: impl Fn(String) + 'static,
) -> (ReadSignal<FeedState>, Callback<String>) {
    let (state, set_state) = signal(FeedState::Connecting);
    #[cfg(feature = "hydrate")]
    {
        let socket = client::Socket::new(path, request, on_frame, set_state);
        let for_send = send_wrapper::SendWrapper::new(socket.clone());
        let send = Callback::new(move |text: String| for_send.send(&text));
        let guard = send_wrapper::SendWrapper::new(socket);
        on_cleanup(move || guard.close());
        (state, send)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (path, request, on_frame, set_state);
        (state, Callback::new(|_: String| {}))
    }
}

#[cfg(feature = "hydrate")]
mod client {
    use leptos::prelude::*;
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;

    use super::FeedState;

    struct Inner {
        path: &'static str,
        request: Box<dyn Fn() -> String>,
        on_frame: Box<dyn Fn(String)>,
        state: WriteSignal<FeedState>,
        ws: RefCell<Option<web_sys::WebSocket>>,
        closed: Cell<bool>,
        failures: Cell<u32>,
    }

    /// One feed connection, shared by its handlers.
    #[derive(Clone)]
    pub struct Socket(Rc<Inner>);

    impl Socket {
        pub fn new(
            path: &'static str,
            request: impl Fn() -> String + 'static,
            on_frame: impl Fn(String) + 'static,
            state: WriteSignal<FeedState>,
        ) -> Self {
            let socket = Self(Rc::new(Inner {
                path,
                request: Box::new(request),
                on_frame: Box::new(on_frame),
                state,
                ws: RefCell::new(None),
                closed: Cell::new(false),
                failures: Cell::new(0),
            }));
            socket.connect();
            socket
        }

        pub fn send(&self, text: &str) {
            if let Some(ws) = self.0.ws.borrow().as_ref()
                && ws.ready_state() == web_sys::WebSocket::OPEN
            {
                let _ = ws.send_with_str(text);
            }
        }

        pub fn close(&self) {
            self.0.closed.set(true);
            if let Some(ws) = self.0.ws.borrow_mut().take() {
                ws.set_onclose(None);
                ws.set_onmessage(None);
                let _ = ws.close();
            }
        }

        fn connect(&self) {
            if self.0.closed.get() {
                return;
            }
            let Some(url) = super::websocket_url(self.0.path) else {
                return;
            };
            let Ok(ws) = web_sys::WebSocket::new(&url) else {
                self.retry();
                return;
            };
            let on_open = {
                let socket = self.clone();
                Closure::<dyn FnMut()>::new(move || {
                    socket.0.failures.set(0);
                    socket.0.state.set(FeedState::Open);
                    let text = (socket.0.request)();
                    socket.send(&text);
                })
            };
            ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
            on_open.forget();
            let on_message = {
                let socket = self.clone();
                Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
                    move |event: web_sys::MessageEvent| {
                        if let Some(text) = event.data().as_string() {
                            (socket.0.on_frame)(text);
                        }
                    },
                )
            };
            ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
            on_message.forget();
            let on_close = {
                let socket = self.clone();
                Closure::<dyn FnMut()>::new(move || {
                    socket.0.ws.borrow_mut().take();
                    socket.retry();
                })
            };
            ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
            on_close.forget();
            *self.0.ws.borrow_mut() = Some(ws);
        }

        fn retry(&self) {
            if self.0.closed.get() {
                return;
            }
            self.0.state.set(FeedState::Retrying);
            let failures = self.0.failures.get() + 1;
            self.0.failures.set(failures);
            let socket = self.clone();
            set_timeout(move || socket.connect(), super::retry_delay(failures));
        }
    }
}
