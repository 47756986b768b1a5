//! [`OrgStore`](magpie_core::ports::OrgStore): each domain's tree of departments and the
//! people in them.

use magpie_core::Error;
use magpie_core::names::{DomainName, LoginName};
use magpie_core::org::{Department, DepartmentId, DepartmentPatch, NewDepartment};

use crate::StoreFactory;
use crate::fixtures::{T0, World};

fn new(w: &World<'_, impl StoreFactory>, name: &str, parent: Option<DepartmentId>) -> NewDepartment {
    NewDepartment { domain_id: w.domain.id, parent, name: name.into(), position: 0, manager: None, created_at_ms: T0 }
}

async fn create<F: StoreFactory>(w: &World<'_, F>, name: &str, parent: Option<DepartmentId>) -> Department {
    w.stores.org.create_department(new(w, name, parent), 100, 4).await.unwrap().expect("a new department")
}

fn names(list: &[Department]) -> Vec<&str> {
    list.iter().map(|d| d.name.as_str()).collect()
}

/// A tree is built under the rules: sibling names unique (the same name elsewhere is fine), a
/// parent of the same domain, a bounded depth and count; it lists parents before children,
/// siblings by position then name.
pub async fn departments_form_a_bounded_tree<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let org = &w.stores.org;
    let hq = create(&w, "总部", None).await;
    let rd = create(&w, "研发部", Some(hq.id)).await;
    let sales = org
        .create_department(NewDepartment { position: -1, ..new(&w, "销售部", Some(hq.id)) }, 100, 4)
        .await
        .unwrap()
        .unwrap();
    let web = create(&w, "前端组", Some(rd.id)).await;
    create(&w, "前端组", Some(sales.id)).await;
    let taken = org.create_department(new(&w, "研发部", Some(hq.id)), 100, 4).await.unwrap();
    let got = taken;
    assert!(matches!(got, Err(Error::AlreadyExists("department"))), "{got:?}");
    let deep = create(&w, "三级", Some(web.id)).await;
    let too_deep = org.create_department(new(&w, "五级", Some(deep.id)), 100, 4).await.unwrap();
    let got = too_deep;
    assert!(matches!(got, Err(Error::LimitExceeded("department depth"))), "{got:?}");
    let full = org.create_department(new(&w, "另一个", None), 6, 4).await.unwrap();
    let got = full;
    assert!(matches!(got, Err(Error::LimitExceeded("departments"))), "{got:?}");

    let beta = w.stores.accounts.create_domain(&DomainName::parse("beta.example").unwrap(), T0).await.unwrap().unwrap();
    let foreign_parent = NewDepartment { domain_id: beta.id, ..new(&w, "x", Some(hq.id)) };
    let got = org.create_department(foreign_parent, 100, 4).await.unwrap();
    assert!(matches!(got, Err(Error::NotFound("department"))), "{got:?}");
    let theirs = NewDepartment { domain_id: beta.id, ..new(&w, "总部", None) };
    org.create_department(theirs, 100, 4).await.unwrap().unwrap();

    let tree = org.departments(w.domain.id).await.unwrap();
    assert_eq!(names(&tree), ["总部", "销售部", "研发部", "前端组", "前端组", "三级"]);
    assert_eq!(tree[2].parent, Some(hq.id));
    assert_eq!(org.department(rd.id).await.unwrap().unwrap(), tree[2]);
    assert_eq!(names(&org.departments(beta.id).await.unwrap()), ["总部"]);
}

/// A move never makes a loop nor breaks the depth bound; renames keep sibling names unique;
/// a department with departments under it stays; one deleted takes its memberships along.
pub async fn moves_keep_it_a_tree<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let org = &w.stores.org;
    let hq = create(&w, "hq", None).await;
    let rd = create(&w, "rd", Some(hq.id)).await;
    let web = create(&w, "web", Some(rd.id)).await;
    let ops = create(&w, "ops", None).await;
    let under = |p: DepartmentId| DepartmentPatch { parent: Some(Some(p)), ..DepartmentPatch::default() };

    let looped = org.update_department(hq.id, under(web.id), 4).await.unwrap();
    assert!(matches!(looped, Err(Error::InvalidField { ref field, .. }) if field == "parent"), "{looped:?}");
    let itself = org.update_department(rd.id, under(rd.id), 4).await.unwrap();
    assert!(matches!(itself, Err(Error::InvalidField { ref field, .. }) if field == "parent"), "{itself:?}");
    // ops > hq > rd > web would be four levels under ops: too deep for a bound of 4.
    let deep = org.update_department(hq.id, under(ops.id), 3).await.unwrap();
    let got = deep;
    assert!(matches!(got, Err(Error::LimitExceeded("department depth"))), "{got:?}");
    let moved = org.update_department(rd.id, under(ops.id), 4).await.unwrap().unwrap();
    assert_eq!(moved.parent, Some(ops.id));
    let top = DepartmentPatch { parent: Some(None), name: Some("web2".into()), ..DepartmentPatch::default() };
    assert_eq!(org.update_department(web.id, top, 4).await.unwrap().unwrap().parent, None);
    let clash = DepartmentPatch { name: Some("hq".into()), ..DepartmentPatch::default() };
    let got = org.update_department(ops.id, clash, 4).await.unwrap();
    assert!(matches!(got, Err(Error::AlreadyExists("department"))), "{got:?}");

    let alice = w.account("alice").await;
    org.set_department_member(rd.id, alice.id, None, 5).await.unwrap().unwrap();
    assert!(matches!(org.delete_department(ops.id).await.unwrap(), Err(Error::Conflict(_))));
    org.delete_department(rd.id).await.unwrap().unwrap();
    assert!(org.departments_of(alice.id).await.unwrap().is_empty());
    let got = org.delete_department(rd.id).await.unwrap();
    assert!(matches!(got, Err(Error::NotFound("department"))), "{got:?}");
    org.delete_department(ops.id).await.unwrap().unwrap();
}

/// People join departments with a title (set again: the title changes), up to a bound per
/// person; a department lists its enabled people by login name, a page at a time, and counts
/// them.
pub async fn people_are_in_departments_with_titles<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let org = &w.stores.org;
    let rd = create(&w, "rd", None).await;
    let web = create(&w, "web", Some(rd.id)).await;
    let extra = create(&w, "extra", None).await;
    let (alice, bob, carol) = (w.account("alice").await, w.account("bob").await, w.account("carol").await);
    org.set_department_member(rd.id, bob.id, Some("工程师".into()), 2).await.unwrap().unwrap();
    org.set_department_member(rd.id, alice.id, None, 2).await.unwrap().unwrap();
    org.set_department_member(rd.id, carol.id, None, 2).await.unwrap().unwrap();
    org.set_department_member(web.id, alice.id, Some("组长".into()), 2).await.unwrap().unwrap();
    let got = org.set_department_member(extra.id, alice.id, None, 2).await.unwrap();
    assert!(matches!(got, Err(Error::LimitExceeded("departments per account"))), "{got:?}");
    // Setting again changes the title, and is no new membership.
    org.set_department_member(rd.id, alice.id, Some("总监".into()), 2).await.unwrap().unwrap();
    assert_eq!(
        org.departments_of(alice.id).await.unwrap(),
        [(rd.id, Some("总监".to_owned())), (web.id, Some("组长".to_owned()))]
    );

    let page = |after: Option<&str>, limit| {
        let after = after.map(|a| LoginName::parse(a).unwrap());
        async move {
            let members = org.department_members(rd.id, after.as_ref(), limit).await.unwrap();
            members.into_iter().map(|m| (m.account.addr.name.to_string(), m.title)).collect::<Vec<_>>()
        }
    };
    assert_eq!(
        page(None, 2).await,
        [("alice".to_owned(), Some("总监".to_owned())), ("bob".to_owned(), Some("工程师".to_owned()))]
    );
    assert_eq!(page(Some("bob"), 2).await, [("carol".to_owned(), None)]);
    assert_eq!(org.department(rd.id).await.unwrap().unwrap().member_count, 3);

    w.stores.accounts.set_disabled(carol.id, true, T0).await.unwrap();
    assert_eq!(page(Some("bob"), 2).await, []);
    assert_eq!(org.department(rd.id).await.unwrap().unwrap().member_count, 2, "disabled people are not counted");
    assert!(org.remove_department_member(rd.id, bob.id).await.unwrap());
    assert!(!org.remove_department_member(rd.id, bob.id).await.unwrap());
    assert!(org.departments_of(bob.id).await.unwrap().is_empty());
}

/// A person's own manager is set, replaced and cleared, listed per domain; a department's
/// chat is recorded with it and goes with it; a domain's chat owner is recorded once.
pub async fn managers_chats_and_the_chat_owner_are_kept<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let org = &w.stores.org;
    let (ann, bob, cy) = (w.account("ann").await, w.account("bob").await, w.account("cy").await);
    assert_eq!(org.manager_of(ann.id).await.unwrap(), None);
    org.set_manager(w.domain.id, ann.id, Some(bob.id)).await.unwrap();
    org.set_manager(w.domain.id, ann.id, Some(cy.id)).await.unwrap();
    org.set_manager(w.domain.id, bob.id, Some(cy.id)).await.unwrap();
    assert_eq!(org.manager_of(ann.id).await.unwrap(), Some(cy.id));
    assert_eq!(org.managers(w.domain.id).await.unwrap(), vec![(ann.id, cy.id), (bob.id, cy.id)]);
    org.set_manager(w.domain.id, bob.id, None).await.unwrap();
    assert_eq!(org.managers(w.domain.id).await.unwrap(), vec![(ann.id, cy.id)]);

    let rd = create(&w, "研发部", None).await;
    assert_eq!(rd.chat, None);
    let group = w.group(&ann, &[&bob]).await;
    org.set_department_chat(rd.id, Some(group.id)).await.unwrap();
    assert_eq!(org.department(rd.id).await.unwrap().unwrap().chat, Some(group.id));
    assert_eq!(org.departments(w.domain.id).await.unwrap()[0].chat, Some(group.id));
    org.set_department_chat(rd.id, None).await.unwrap();
    assert_eq!(org.department(rd.id).await.unwrap().unwrap().chat, None);
    org.set_department_chat(rd.id, Some(group.id)).await.unwrap();
    org.delete_department(rd.id).await.unwrap().unwrap();

    assert_eq!(org.chat_owner(w.domain.id).await.unwrap(), None);
    let (a, b) = tokio::join!(org.put_chat_owner(w.domain.id, ann.id), org.put_chat_owner(w.domain.id, bob.id));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a, b, "two at once agree on one owner");
    assert_eq!(org.chat_owner(w.domain.id).await.unwrap(), Some(a));
}
