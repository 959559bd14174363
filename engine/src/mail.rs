//! Mail through the SMTP server a platform admin set: one plain-text message at a time, over a
//! plain connection, STARTTLS or TLS from the first byte, with `AUTH PLAIN` when a user name
//! is set. What the server answered is kept in the error (never the password).

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// How the connection to the mail server is secured (the setting `smtp_security`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailSecurity {
    /// Plain, then `STARTTLS` before anything else is said.
    StartTls,
    /// TLS from the first byte.
    Tls,
    /// No encryption.
    None,
}

impl MailSecurity {
    /// The setting's word for it (see [`crate::model::settings::SMTP_SECURITY`]).
    pub fn parse(word: &str) -> Option<Self> {
        match word {
            "starttls" => Some(Self::StartTls),
            "tls" => Some(Self::Tls),
            "none" => Some(Self::None),
            _ => None,
        }
    }
}

/// Longest wait for the server's answer to any one command (the connection included).
const STEP_TIMEOUT: Duration = Duration::from_secs(15);

/// Where and how to send.
#[derive(Clone, PartialEq, Eq)]
pub struct MailServer {
    pub host: String,
    pub port: u16,
    pub security: MailSecurity,
    /// Empty: no authentication.
    pub username: String,
    pub password: String,
    /// The sender address (`From:` and `MAIL FROM`).
    pub from: String,
}

/// Everything but the password.
impl std::fmt::Debug for MailServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailServer")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

/// A plain-text message to one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// Why a message was not sent. Messages name the server and what it answered.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("the mail server {0} cannot be reached: {1}")]
    Connect(String, String),
    #[error("the mail server {server} answered {command} with: {reply}")]
    Refused {
        server: String,
        command: &'static str,
        reply: String,
    },
    #[error("the mail server {0} does not offer STARTTLS")]
    NoStartTls(String),
    #[error("TLS with the mail server {0} failed: {1}")]
    Tls(String, String),
    #[error("the mail server {0} stopped answering: {1}")]
    Io(String, String),
    #[error("{0} cannot be mailed: it holds a line break")]
    Header(&'static str),
}

trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// One SMTP conversation.
struct Session {
    io: BufReader<Box<dyn Stream>>,
    server: String,
}

impl Session {
    fn io_error(&self, e: impl std::fmt::Display) -> MailError {
        MailError::Io(self.server.clone(), e.to_string())
    }

    /// The server's reply (all its lines): its code and text.
    async fn reply(&mut self) -> Result<(u16, String), MailError> {
        let mut text = String::new();
        loop {
            let mut line = String::new();
            let read = tokio::time::timeout(STEP_TIMEOUT, self.io.read_line(&mut line))
                .await
                .map_err(|_| self.io_error("no answer within 15 s"))?
                .map_err(|e| self.io_error(e))?;
            if read == 0 {
                return Err(self.io_error("the connection closed"));
            }
            let line = line.trim_end();
            let code = line
                .get(..3)
                .and_then(|c| c.parse::<u16>().ok())
                .ok_or_else(|| self.io_error(format!("not an SMTP reply: {line:?}")))?;
            if !text.is_empty() {
                text.push('\n');
            }
            text.push_str(line);
            if line.as_bytes().get(3) != Some(&b'-') {
                return Ok((code, text));
            }
        }
    }

    /// Sends `line` (not logged: it may hold credentials) and expects a reply of class
    /// `expect` (2 or 3).
    async fn command(
        &mut self,
        name: &'static str,
        line: &str,
        expect: u16,
    ) -> Result<String, MailError> {
        let io = self.io.get_mut();
        io.write_all(line.as_bytes())
            .await
            .map_err(|e| MailError::Io(self.server.clone(), e.to_string()))?;
        io.write_all(b"\r\n")
            .await
            .map_err(|e| MailError::Io(self.server.clone(), e.to_string()))?;
        io.flush()
            .await
            .map_err(|e| MailError::Io(self.server.clone(), e.to_string()))?;
        self.expect(name, expect).await
    }

    async fn expect(&mut self, name: &'static str, class: u16) -> Result<String, MailError> {
        let (code, text) = self.reply().await?;
        if code / 100 != class {
            return Err(MailError::Refused {
                server: self.server.clone(),
                command: name,
                reply: text,
            });
        }
        Ok(text)
    }
}

/// A TLS connector trusting the public web roots.
fn tls_connector() -> tokio_rustls::TlsConnector {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map(|b| b.with_root_certificates(roots).with_no_client_auth())
    .expect("ring supports the default TLS versions");
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

async fn start_tls(
    stream: Box<dyn Stream>,
    host: &str,
    server: &str,
) -> Result<Box<dyn Stream>, MailError> {
    let name = rustls::pki_types::ServerName::try_from(host.to_owned())
        .map_err(|e| MailError::Tls(server.to_owned(), e.to_string()))?;
    let tls = tokio::time::timeout(STEP_TIMEOUT, tls_connector().connect(name, stream))
        .await
        .map_err(|_| MailError::Tls(server.to_owned(), "no answer within 15 s".into()))?
        .map_err(|e| MailError::Tls(server.to_owned(), e.to_string()))?;
    Ok(Box::new(tls))
}

/// `text` as an RFC 2047 encoded word when it is not plain ASCII.
fn header_text(text: &str) -> String {
    if text.is_ascii() {
        text.to_owned()
    } else {
        format!("=?utf-8?B?{}?=", STANDARD.encode(text))
    }
}

/// The message as sent after `DATA`: headers, then the body in base64 (any text, any line
/// length), ending with the lone dot.
pub fn message_text(server: &MailServer, mail: &Mail, date: &str, id: &str) -> String {
    let body = STANDARD.encode(mail.body.replace('\n', "\r\n").replace("\r\r\n", "\r\n"));
    let mut lines = vec![
        format!("From: Orbitr <{}>", server.from),
        format!("To: <{}>", mail.to),
        format!("Subject: {}", header_text(&mail.subject)),
        format!("Date: {date}"),
        format!("Message-ID: <{id}>"),
        "MIME-Version: 1.0".to_owned(),
        "Content-Type: text/plain; charset=utf-8".to_owned(),
        "Content-Transfer-Encoding: base64".to_owned(),
        String::new(),
    ];
    lines.extend(
        body.as_bytes()
            .chunks(76)
            .map(|c| String::from_utf8_lossy(c).into_owned()),
    );
    lines.push(".".to_owned());
    lines.join("\r\n")
}

/// Sends `mail` through `server`.
pub async fn send(server: &MailServer, mail: &Mail) -> Result<(), MailError> {
    for (what, value) in [
        ("the recipient", &mail.to),
        ("the subject", &mail.subject),
        ("the sender", &server.from),
    ] {
        if value.contains(['\r', '\n']) {
            return Err(MailError::Header(what));
        }
    }
    let name = format!("{}:{}", server.host, server.port);
    let tcp = tokio::time::timeout(
        STEP_TIMEOUT,
        TcpStream::connect((server.host.as_str(), server.port)),
    )
    .await
    .map_err(|_| MailError::Connect(name.clone(), "no answer within 15 s".into()))?
    .map_err(|e| MailError::Connect(name.clone(), e.to_string()))?;
    let mut stream: Box<dyn Stream> = Box::new(tcp);
    if server.security == MailSecurity::Tls {
        stream = start_tls(stream, &server.host, &name).await?;
    }
    let mut session = Session {
        io: BufReader::new(stream),
        server: name.clone(),
    };
    session.expect("the greeting", 2).await?;
    let hello = "EHLO orbitr";
    let offers = session.command("EHLO", hello, 2).await?;
    if server.security == MailSecurity::StartTls {
        if !offers.lines().any(|l| {
            l.get(4..)
                .is_some_and(|e| e.eq_ignore_ascii_case("STARTTLS"))
        }) {
            return Err(MailError::NoStartTls(name));
        }
        session.command("STARTTLS", "STARTTLS", 2).await?;
        let plain = session.io.into_inner();
        session = Session {
            io: BufReader::new(start_tls(plain, &server.host, &name).await?),
            server: name.clone(),
        };
        session.command("EHLO", hello, 2).await?;
    }
    if !server.username.is_empty() {
        let token = STANDARD.encode(format!("\0{}\0{}", server.username, server.password));
        session
            .command("AUTH", &format!("AUTH PLAIN {token}"), 2)
            .await?;
    }
    session
        .command("MAIL FROM", &format!("MAIL FROM:<{}>", server.from), 2)
        .await?;
    session
        .command("RCPT TO", &format!("RCPT TO:<{}>", mail.to), 2)
        .await?;
    session.command("DATA", "DATA", 3).await?;
    let date = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc2822)
        .unwrap_or_default();
    let id = format!("{}@orbitr", uuid::Uuid::now_v7());
    session
        .command("the message", &message_text(server, mail, &date, &id), 2)
        .await?;
    // The message is accepted; a failing QUIT changes nothing.
    let _ = session.command("QUIT", "QUIT", 2).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server() -> MailServer {
        MailServer {
            host: "mail.example.test".into(),
            port: 587,
            security: MailSecurity::StartTls,
            username: "orbitr".into(),
            password: "hunter2-mail".into(),
            from: "orbitr@example.test".into(),
        }
    }

    #[test]
    fn a_message_is_headers_then_its_body_in_base64_lines_and_the_final_dot() {
        let mail = Mail {
            to: "ada@example.test".into(),
            subject: "Einladung für Ada".into(),
            body: "Hello,\n.\nthis line starts with a dot".into(),
        };
        let text = message_text(
            &server(),
            &mail,
            "Mon, 07 Dec 2026 16:00:00 +0000",
            "x@orbitr",
        );
        let (head, body) = text.split_once("\r\n\r\n").expect("blank line");
        assert!(head.contains("To: <ada@example.test>"), "{head}");
        assert!(head.contains("Subject: =?utf-8?B?"), "{head}");
        assert!(!head.contains("für"), "{head}");
        assert!(body.ends_with("\r\n."));
        let encoded: String = body
            .trim_end_matches('.')
            .split("\r\n")
            .collect::<Vec<_>>()
            .concat();
        assert!(body.split("\r\n").all(|l| l.len() <= 76));
        let decoded = String::from_utf8(STANDARD.decode(encoded).expect("base64")).expect("utf-8");
        assert_eq!(decoded, "Hello,\r\n.\r\nthis line starts with a dot");
    }

    #[test]
    fn the_password_is_never_in_debug_output() {
        assert!(!format!("{:?}", server()).contains("hunter2"));
    }

    #[tokio::test]
    async fn a_line_break_in_a_header_is_refused_before_connecting() {
        let mail = Mail {
            to: "ada@example.test\r\nBcc: eve@example.test".into(),
            subject: "x".into(),
            body: String::new(),
        };
        let err = send(&server(), &mail).await.expect_err("refused");
        assert!(matches!(err, MailError::Header("the recipient")), "{err}");
    }
}
