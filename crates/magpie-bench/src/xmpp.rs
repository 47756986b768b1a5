//! A lean XMPP client (RFC 6120/6121 c2s over plain TCP on loopback) for running the same
//! scenarios against ejabberd and Prosody: in-band registration (XEP-0077), SASL PLAIN,
//! resource binding, presence, 1:1 `chat` messages, MUC rooms (XEP-0045), and stream
//! management (XEP-0198) acks as the XMPP counterpart of Magpie's send acks.
//!
//! An SM ack `<a h='…'/>` means the server has handled the stanza. It does not promise that
//! the stanza is on disk, even with an archive on: the like-for-like durability figures are
//! Magpie's against the archived servers, and the note in BENCHMARKS.md says so.

use std::collections::VecDeque;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use base64::Engine;
use quick_xml::Reader;
use quick_xml::events::Event;
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedReadHalf;
use tokio::sync::{Mutex, mpsc, oneshot};

use crate::native::{Pushed, run_id};

/// Acks waiting for the server's `<a h='…'/>`, each with the stanza count it needs.
type AckQueue = Arc<Mutex<VecDeque<(u64, oneshot::Sender<()>)>>>;

/// One element of a stanza: enough structure for what the bench reads.
#[derive(Debug, Default, Clone)]
pub struct Element {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Element>,
    pub text: String,
}

impl Element {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }
}

/// Reads the stream header and then one top-level element at a time.
struct StanzaReader {
    reader: Reader<BufReader<OwnedReadHalf>>,
    buf: Vec<u8>,
}

impl StanzaReader {
    /// The next element directly under `<stream:stream>`; the stream header itself is skipped.
    async fn next(&mut self) -> Result<Element> {
        let mut stack: Vec<Element> = Vec::new();
        loop {
            self.buf.clear();
            let event = self.reader.read_event_into_async(&mut self.buf).await?;
            match event {
                Event::Start(start) => {
                    let element = element_of(&start)?;
                    if element.name == "stream:stream" {
                        continue;
                    }
                    stack.push(element);
                }
                Event::Empty(start) => {
                    let element = element_of(&start)?;
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(element),
                        None => return Ok(element),
                    }
                }
                Event::Text(text) => {
                    if let Some(top) = stack.last_mut() {
                        top.text.push_str(&text.decode()?);
                    }
                }
                Event::GeneralRef(r) => {
                    if let Some(top) = stack.last_mut() {
                        let name = r.decode()?;
                        top.text.push_str(match name.as_ref() {
                            "lt" => "<",
                            "gt" => ">",
                            "amp" => "&",
                            "quot" => "\"",
                            "apos" => "'",
                            _ => "",
                        });
                    }
                }
                Event::End(end) => {
                    if end.name().as_ref() == b"stream:stream" {
                        bail!("the server closed the stream");
                    }
                    let Some(done) = stack.pop() else { continue };
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(done),
                        None => return Ok(done),
                    }
                }
                Event::Eof => bail!("connection closed"),
                _ => {}
            }
        }
    }
}

fn element_of(start: &quick_xml::events::BytesStart<'_>) -> Result<Element> {
    let name = String::from_utf8_lossy(start.name().as_ref()).into_owned();
    let mut attrs = Vec::new();
    for attr in start.attributes() {
        let attr = attr?;
        attrs.push((String::from_utf8_lossy(attr.key.as_ref()).into_owned(), attr.unescape_value()?.into_owned()));
    }
    Ok(Element { name, attrs, ..Element::default() })
}

fn escape(text: &str) -> String {
    quick_xml::escape::escape(text).into_owned()
}

fn header(domain: &str) -> String {
    format!(
        "<?xml version='1.0'?><stream:stream to='{}' xmlns='jabber:client' \
         xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>",
        escape(domain)
    )
}

/// Where the XMPP server is and how its accounts are named.
#[derive(Debug, Clone)]
pub struct Server {
    /// `host:port` of the c2s listener.
    pub addr: String,
    /// The XMPP domain, e.g. `localhost`.
    pub domain: String,
    /// The MUC service, e.g. `conference.localhost`.
    pub muc: String,
}

async fn connect(server: &Server) -> Result<(tokio::net::tcp::OwnedWriteHalf, StanzaReader)> {
    let stream = TcpStream::connect(&server.addr).await.with_context(|| format!("connect {}", server.addr))?;
    stream.set_nodelay(true)?;
    let (read, mut write) = stream.into_split();
    write.write_all(header(&server.domain).as_bytes()).await?;
    let mut reader = StanzaReader { reader: Reader::from_reader(BufReader::new(read)), buf: Vec::new() };
    reader.reader.config_mut().trim_text(false);
    let features = reader.next().await?;
    if features.name != "stream:features" {
        bail!("expected stream features, got <{}>", features.name);
    }
    Ok((write, reader))
}

/// Registers `name` in band (XEP-0077). An account that exists already is fine.
pub async fn register(server: &Server, name: &str, password: &str) -> Result<()> {
    let (mut write, mut reader) = connect(server).await?;
    let iq = format!(
        "<iq type='set' id='reg'><query xmlns='jabber:iq:register'><username>{}</username>\
         <password>{}</password></query></iq>",
        escape(name),
        escape(password)
    );
    write.write_all(iq.as_bytes()).await?;
    loop {
        let stanza = reader.next().await?;
        if stanza.name != "iq" || stanza.attr("id") != Some("reg") {
            continue;
        }
        let _ = write.write_all(b"</stream:stream>").await;
        if stanza.attr("type") == Some("result") {
            return Ok(());
        }
        // 409 conflict: the account exists.
        let conflict = stanza.child("error").is_some_and(|e| e.child("conflict").is_some());
        if conflict {
            return Ok(());
        }
        bail!("registering {name}: {stanza:?}");
    }
}

/// An XMPP session: logged in, bound, available, with stream management on.
pub struct XmppConn {
    pub jid: String,
    out: mpsc::Sender<String>,
    acks: AckQueue,
    sent: Arc<Mutex<u64>>,
}

impl XmppConn {
    pub async fn open(server: &Server, name: &str, password: &str) -> Result<(XmppConn, mpsc::Receiver<Pushed>)> {
        let (mut write, mut reader) = connect(server).await?;
        let plain = base64::engine::general_purpose::STANDARD.encode(format!("\0{name}\0{password}"));
        write
            .write_all(
                format!("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{plain}</auth>").as_bytes(),
            )
            .await?;
        let answer = reader.next().await?;
        if answer.name != "success" {
            bail!("login {name}: <{}>", answer.name);
        }
        // A new stream after SASL (RFC 6120 §6.4.6).
        write.write_all(header(&server.domain).as_bytes()).await?;
        let features = reader.next().await?;
        if features.child("bind").is_none() {
            bail!("login {name}: no resource binding offered");
        }
        write
            .write_all(
                b"<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>\
                  <resource>bench</resource></bind></iq>",
            )
            .await?;
        let jid = loop {
            let stanza = reader.next().await?;
            if stanza.name == "iq" && stanza.attr("id") == Some("bind") {
                let jid = stanza.child("bind").and_then(|b| b.child("jid")).map(|j| j.text.clone());
                break jid.ok_or_else(|| anyhow!("bind {name}: {stanza:?}"))?;
            }
        };
        if features.child("session").is_some() {
            write
                .write_all(b"<iq type='set' id='sess'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>")
                .await?;
        }
        if features.child("sm").is_none() {
            bail!("{name}: the server does not offer stream management (XEP-0198)");
        }
        // Available once the server has handled the initial presence, so that nothing sent
        // to this account from now on goes to offline storage instead.
        write.write_all(b"<enable xmlns='urn:xmpp:sm:3'/><presence/><r xmlns='urn:xmpp:sm:3'/>").await?;
        // Stored offline messages may arrive before the ack: keep them for the application.
        // Only stanzas after `<enabled/>` count towards our `h`.
        let mut early = Vec::new();
        let mut handled_by_us: u64 = 0;
        let mut enabled = false;
        loop {
            let stanza = reader.next().await?;
            match stanza.name.as_str() {
                "failed" => bail!("{name}: the server refused stream management"),
                "enabled" => enabled = true,
                "a" if stanza.attr("h").is_some_and(|h| h != "0") => break,
                "message" | "presence" | "iq" => {
                    handled_by_us += u64::from(enabled);
                    early.extend(pushed_of(&stanza));
                }
                _ => {}
            }
        }

        let (out, mut out_rx) = mpsc::channel::<String>(1024);
        tokio::spawn(async move {
            while let Some(first) = out_rx.recv().await {
                let mut batch = first;
                while let Ok(more) = out_rx.try_recv() {
                    batch.push_str(&more);
                }
                if write.write_all(batch.as_bytes()).await.is_err() {
                    return;
                }
            }
            let _ = write.write_all(b"</stream:stream>").await;
        });

        let acks: AckQueue = Arc::default();
        let reader_acks = acks.clone();
        let (pushes, pushed) = mpsc::channel(4096);
        let ack_out = out.clone();
        tokio::spawn(async move {
            for pushed in early {
                if pushes.send(pushed).await.is_err() {
                    break;
                }
            }
            while let Ok(stanza) = reader.next().await {
                match stanza.name.as_str() {
                    "a" => {
                        let h: u64 = stanza.attr("h").and_then(|h| h.parse().ok()).unwrap_or(0);
                        let mut acks = reader_acks.lock().await;
                        while acks.front().is_some_and(|(needs, _)| *needs <= h) {
                            if let Some((_, tx)) = acks.pop_front() {
                                let _ = tx.send(());
                            }
                        }
                    }
                    "r" => {
                        // The server asks how many stanzas we handled.
                        let _ = ack_out.send(format!("<a xmlns='urn:xmpp:sm:3' h='{handled_by_us}'/>")).await;
                    }
                    "message" | "presence" | "iq" => {
                        handled_by_us += 1;
                        if let Some(pushed) = pushed_of(&stanza) {
                            let _ = pushes.send(pushed).await;
                        }
                    }
                    _ => {}
                }
            }
            reader_acks.lock().await.clear();
        });

        // The stanzas sent so far that count for SM: only the presence (enable is not one).
        Ok((XmppConn { jid, out, acks, sent: Arc::new(Mutex::new(1)) }, pushed))
    }

    /// Sends a stanza and asks for an ack; the receiver fires when the server has handled it.
    async fn send_acked(&self, stanza: String) -> Result<oneshot::Receiver<()>> {
        let (tx, rx) = oneshot::channel();
        let mut sent = self.sent.lock().await;
        *sent += 1;
        self.acks.lock().await.push_back((*sent, tx));
        self.out.send(format!("{stanza}<r xmlns='urn:xmpp:sm:3'/>")).await.map_err(|_| anyhow!("connection closed"))?;
        Ok(rx)
    }

    /// A 1:1 message carrying the bench's stamp.
    pub async fn chat(&self, to: &str, stamp: u64, n: u64) -> Result<oneshot::Receiver<()>> {
        self.send_acked(format!(
            "<message to='{}' type='chat'><body>bench {} {stamp} {n}</body></message>",
            escape(to),
            run_id()
        ))
        .await
    }

    /// A message to a MUC room.
    pub async fn groupchat(&self, room: &str, stamp: u64, n: u64) -> Result<oneshot::Receiver<()>> {
        self.send_acked(format!(
            "<message to='{}' type='groupchat'><body>bench {} {stamp} {n}</body></message>",
            escape(room),
            run_id()
        ))
        .await
    }

    /// Joins (or creates) a MUC room without history, and waits until the server has handled it.
    pub async fn join(&self, room: &str, nick: &str) -> Result<()> {
        let presence = format!(
            "<presence to='{}/{}'><x xmlns='http://jabber.org/protocol/muc'><history maxstanzas='0'/></x></presence>",
            escape(room),
            escape(nick)
        );
        self.send_acked(presence).await?.await.map_err(|_| anyhow!("connection closed while joining {room}"))
    }

    /// Accepts the default configuration of a room this account just created (an instant room).
    pub async fn unlock(&self, room: &str) -> Result<()> {
        let iq = format!(
            "<iq type='set' id='unlock' to='{}'><query xmlns='http://jabber.org/protocol/muc#owner'>\
             <x xmlns='jabber:x:data' type='submit'/></query></iq>",
            escape(room)
        );
        self.send_acked(iq).await?.await.map_err(|_| anyhow!("connection closed while configuring {room}"))
    }

    /// Goes offline and ends the stream; the server then closes the connection.
    pub async fn close(&self) {
        let _ = self.out.send("<presence type='unavailable'/></stream:stream>".to_owned()).await;
    }
}

/// A bench message of this run (`bench <run> <stamp> <n>`) reduced to what the bench measures. Messages a room
/// reflects carry the room's JID with the sender's nick as resource.
fn pushed_of(message: &Element) -> Option<Pushed> {
    if message.name != "message" {
        return None;
    }
    let body = message.child("body")?;
    let mut words = body.text.split_whitespace();
    if words.next()? != "bench" || words.next()?.parse::<u64>().ok()? != run_id() {
        return None;
    }
    let stamp: u64 = words.next()?.parse().ok()?;
    let n: u64 = words.next()?.parse().ok()?;
    let from = message.attr("from")?;
    let sender = if message.attr("type") == Some("groupchat") {
        from.split_once('/').map(|(_, nick)| nick).unwrap_or(from).to_owned()
    } else {
        from.split('/').next().unwrap_or(from).to_owned()
    };
    Some(Pushed { conversation: 0, sender, stamp: Some((stamp, n)) })
}
