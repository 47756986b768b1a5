//! Slash commands' part of [`BotStore`](magpie_core::ports::BotStore): a bot's commands are
//! replaced as a whole and kept in its order, a name is one bot's in a domain (another bot's
//! claim writes nothing), and a conversation offers the commands of the bots that are its
//! members now.

use magpie_core::commands::{Command, NewCommand};
use magpie_core::model::Account;
use magpie_core::names::DomainName;

use crate::StoreFactory;
use crate::fixtures::{T0, World};

async fn bot<F: StoreFactory>(w: &World<'_, F>, name: &str) -> Account {
    w.stores.accounts.create_account(w.new_bot(name, None)).await.unwrap().expect("a new bot")
}

fn command(name: &str) -> NewCommand {
    NewCommand { name: name.into(), description: format!("does {name}"), hint: format!("[{name} args]") }
}

fn names(commands: &[Command]) -> Vec<(String, String)> {
    commands.iter().map(|c| (c.name.clone(), c.hint.clone())).collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect()
}

pub async fn commands_are_replaced_whole_and_one_bots_in_a_domain<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let (leave, hr) = (bot(&w, "leave").await, bot(&w, "hr").await);
    let set = |bot: &Account, list: Vec<NewCommand>| {
        let (store, id, domain) = (w.stores.bots.clone(), bot.id, bot.domain_id);
        async move { store.set_bot_commands(id, domain, &list).await.unwrap() }
    };
    assert_eq!(set(&leave, vec![command("leave"), command("balance")]).await, Ok(()));
    let listed = w.stores.bots.bot_commands(leave.id).await.unwrap();
    assert_eq!(names(&listed), pairs(&[("leave", "[leave args]"), ("balance", "[balance args]")]), "in its order");
    assert!(listed.iter().all(|c| c.bot == leave.id && c.description.starts_with("does ")));

    // Replaced as a whole: a name left out is gone, the order is the new one.
    assert_eq!(set(&leave, vec![command("status"), command("leave")]).await, Ok(()));
    let listed = w.stores.bots.bot_commands(leave.id).await.unwrap();
    assert_eq!(names(&listed), pairs(&[("status", "[status args]"), ("leave", "[leave args]")]));

    // Another bot of the domain may not take a name, and then writes nothing at all.
    assert_eq!(set(&hr, vec![command("payslip"), command("leave")]).await, Err("leave".to_owned()));
    let both = vec![command("status"), command("leave")];
    assert_eq!(set(&hr, both).await, Err("status".to_owned()), "the first taken in the order asked");
    assert!(w.stores.bots.bot_commands(hr.id).await.unwrap().is_empty());
    assert_eq!(set(&hr, vec![command("payslip"), command("balance")]).await, Ok(()), "a name given up is free");

    // Another domain's bot has its own names.
    let other = DomainName::parse("other.example").unwrap();
    let other = w.stores.accounts.create_domain(&other, T0).await.unwrap().expect("a new domain");
    let mut theirs = w.new_bot("theirs", None);
    theirs.domain_id = other.id;
    theirs.domain = other.name.clone();
    let theirs = w.stores.accounts.create_account(theirs).await.unwrap().expect("a new bot");
    assert_eq!(set(&theirs, vec![command("leave")]).await, Ok(()));

    // None: the bot has none.
    assert_eq!(set(&leave, vec![]).await, Ok(()));
    assert!(w.stores.bots.bot_commands(leave.id).await.unwrap().is_empty());
    let restarted = w.restart().await;
    assert_eq!(names(&restarted.stores.bots.bot_commands(hr.id).await.unwrap()).len(), 2, "kept");
}

pub async fn a_conversation_offers_the_commands_of_its_member_bots<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let ann = w.account("ann").await;
    let (leave, hr, absent) = (bot(&w, "leave").await, bot(&w, "hr").await, bot(&w, "absent").await);
    for (b, list) in [(&leave, vec!["leave"]), (&hr, vec!["payslip", "expense"]), (&absent, vec!["weather"])] {
        let list: Vec<_> = list.into_iter().map(command).collect();
        w.stores.bots.set_bot_commands(b.id, b.domain_id, &list).await.unwrap().unwrap();
    }
    let g = w.group(&ann, &[&leave, &hr]).await.id;
    let offered = |list: Vec<Command>| list.into_iter().map(|c| (c.name, c.bot)).collect::<Vec<_>>();
    let found = offered(w.stores.bots.conversation_commands(g).await.unwrap());
    assert_eq!(
        found,
        [("expense".to_owned(), hr.id), ("leave".to_owned(), leave.id), ("payslip".to_owned(), hr.id)],
        "by name, only the members'"
    );
    w.remove(g, &ann, &[&hr]).await;
    let found = offered(w.stores.bots.conversation_commands(g).await.unwrap());
    assert_eq!(found, [("leave".to_owned(), leave.id)], "a bot that left offers nothing");
    let alone = w.group(&ann, &[]).await.id;
    assert!(w.stores.bots.conversation_commands(alone).await.unwrap().is_empty());
}
