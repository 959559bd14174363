//! Closing a live websocket whose right ended (the right itself is checked by
//! [`app::ops::feeds::Watcher`]).

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use engine::model::system::SOCKET_ENDED;

/// Closes `socket` saying why.
pub async fn close(socket: &mut WebSocket, reason: &'static str) {
    let _ = socket
        .send(Message::Close(Some(CloseFrame {
            code: SOCKET_ENDED,
            reason: reason.into(),
        })))
        .await;
}
