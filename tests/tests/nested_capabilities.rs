//! Capabilities anywhere inside arguments and results: struct fields, vectors, options, maps.

use std::collections::BTreeMap;

use rpc_core::{Callback, RpcError, Session, rpc_interface};
use serde::{Deserialize, Serialize};
use tests::{CounterClient, CounterImpl, INITIAL, codecs, wait_for_stats};

#[derive(Serialize, Deserialize)]
pub struct Team {
    pub name: String,
    pub lead: CounterClient,
    pub members: Vec<CounterClient>,
    pub backup: Option<CounterClient>,
    pub by_role: BTreeMap<String, CounterClient>,
    pub on_done: Callback<String>,
}

#[derive(Serialize, Deserialize)]
pub struct Report {
    pub total: i64,
    pub fresh: CounterClient,
    pub tally: Callback<i64, i64>,
}

#[rpc_interface]
pub trait Organizer {
    async fn run(&self, team: Team) -> Result<Report, RpcError>;
}

struct OrganizerImpl;

impl Organizer for OrganizerImpl {
    async fn run(&self, team: Team) -> Result<Report, RpcError> {
        let mut total = team.lead.increment(100).await?;
        for m in &team.members {
            total += m.increment(10).await?;
        }
        if let Some(b) = &team.backup {
            total += b.increment(1).await?;
        }
        for c in team.by_role.values() {
            total += c.increment(1000).await?;
        }
        team.on_done.call(format!("{} done", team.name)).await?;
        Ok(Report {
            total,
            fresh: CounterClient::local(CounterImpl::new(7, Default::default())),
            tally: Callback::new(|x: i64| async move { Ok(x * 3) }),
        })
    }
}

async fn double(x: i64) -> Result<i64, RpcError> {
    Ok(x * 2)
}

#[tokio::test]
async fn capabilities_travel_inside_structs_and_collections_both_ways() {
    for codec in codecs() {
        let (a, b) = rpc_transports::memory::pair();
        let server = tests::builder(&codec)
            .main(OrganizerServer::new(OrganizerImpl))
            .start(a);
        let client: Session = tests::builder(&codec).start(b);
        let organizer: OrganizerClient = client.main_as();

        let counter = |start| CounterClient::local(CounterImpl::new(start, Default::default()));
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let team = Team {
            name: "blue".into(),
            lead: counter(0),
            members: vec![counter(1), counter(2)],
            backup: Some(counter(5)),
            by_role: [("ops".to_string(), counter(0))].into(),
            on_done: Callback::new(move |msg: String| {
                let _ = tx.send(msg);
                async { Ok(()) }
            }),
        };
        let report = organizer.run(team).await.unwrap();
        assert_eq!(report.total, 100 + 11 + 12 + 6 + 1000);
        assert_eq!(rx.recv().await.unwrap(), "blue done");
        // The capabilities in the result work, and an async fn is a callback too.
        assert_eq!(report.fresh.increment(1).await.unwrap(), 8);
        assert_eq!(report.tally.call(5).await.unwrap(), 15);
        let from_fn: Callback<i64, i64> = Callback::new(double);
        assert_eq!(from_fn.call(21).await.unwrap(), 42);

        drop((report, organizer));
        wait_for_stats(&client, INITIAL).await;
        wait_for_stats(&server, INITIAL).await;
    }
}
