//! A minimal authoritative DNS server on 127.0.0.1 answering TXT queries from a table, so
//! domain verification is tested through a real resolver over real UDP.

use std::collections::HashMap;
use std::net::{SocketAddr, UdpSocket};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub struct TestDnsServer {
    pub addr: SocketAddr,
    records: Arc<Mutex<HashMap<String, Vec<String>>>>,
}

impl TestDnsServer {
    pub fn start() -> TestDnsServer {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let addr = socket.local_addr().unwrap();
        let records: Arc<Mutex<HashMap<String, Vec<String>>>> = Arc::default();
        let table = Arc::downgrade(&records);
        std::thread::spawn(move || {
            let mut buf = [0u8; 512];
            // Stops by itself once the test drops the server (the table goes away).
            while let Some(table) = table.upgrade() {
                let Ok((n, peer)) = socket.recv_from(&mut buf) else {
                    continue;
                };
                if let Some(reply) = answer(&buf[..n], &table.lock().unwrap()) {
                    let _ = socket.send_to(&reply, peer);
                }
            }
        });
        TestDnsServer { addr, records }
    }

    pub fn set_txt(&self, name: &str, values: &[&str]) {
        self.records.lock().unwrap().insert(
            name.to_ascii_lowercase(),
            values.iter().map(|v| v.to_string()).collect(),
        );
    }
}

/// Builds the reply to one query (RFC 1035 §4.1): TXT answers, or NXDOMAIN.
fn answer(query: &[u8], table: &HashMap<String, Vec<String>>) -> Option<Vec<u8>> {
    if query.len() < 12 {
        return None;
    }
    let mut pos = 12;
    let mut labels = Vec::new();
    loop {
        let len = *query.get(pos)? as usize;
        pos += 1;
        if len == 0 {
            break;
        }
        labels.push(String::from_utf8_lossy(query.get(pos..pos + len)?).to_ascii_lowercase());
        pos += len;
    }
    let qtype = u16::from_be_bytes([*query.get(pos)?, *query.get(pos + 1)?]);
    let question_end = pos + 4;
    let name = labels.join(".");
    let values = table.get(&name).filter(|_| qtype == 16);
    let mut reply = Vec::new();
    reply.extend_from_slice(&query[0..2]);
    let rcode = if table.contains_key(&name) { 0 } else { 3 };
    reply.extend_from_slice(&[0x85, 0x80 | rcode]);
    reply.extend_from_slice(&[0, 1]);
    let count = values.map_or(0, Vec::len) as u16;
    reply.extend_from_slice(&count.to_be_bytes());
    reply.extend_from_slice(&[0, 0, 0, 0]);
    reply.extend_from_slice(query.get(12..question_end)?);
    for value in values.into_iter().flatten() {
        reply.extend_from_slice(&[0xC0, 0x0C, 0, 16, 0, 1, 0, 0, 0, 5]);
        let data = value.as_bytes();
        reply.extend_from_slice(&((data.len() + 1) as u16).to_be_bytes());
        reply.push(data.len() as u8);
        reply.extend_from_slice(data);
    }
    Some(reply)
}
