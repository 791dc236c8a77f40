//! Prompt caching: cache points after the system prompt and at the end of the last user
//! turn (the reference's `prompt_caching`), plus those from `cache_control` parts, at most
//! four in all (Bedrock's limit; the latest are kept).

use aws_sdk_bedrockruntime::types::{ContentBlock, ConversationRole, Message, SystemContentBlock};

use crate::content::cache_point;
use crate::error::TranslateError;

/// Bedrock accepts at most this many cache points per request.
pub const MAX_CACHE_POINTS: usize = 4;

/// Where to add cache points.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CachePlan {
    pub system: bool,
    pub messages: bool,
}

/// Adds the planned cache points and enforces the limit.
pub fn apply_cache_points(
    plan: CachePlan,
    system: &mut Vec<SystemContentBlock>,
    messages: &mut [Message],
) -> Result<(), TranslateError> {
    if plan.system && !system.is_empty() && !system.last().is_some_and(SystemContentBlock::is_cache_point) {
        system.push(SystemContentBlock::CachePoint(cache_point()?));
    }
    if plan.messages {
        if let Some(last_user) = messages.iter_mut().rev().find(|m| m.role() == &ConversationRole::User) {
            let mut blocks = last_user.content().to_vec();
            if !blocks.last().is_some_and(ContentBlock::is_cache_point) {
                blocks.push(ContentBlock::CachePoint(cache_point()?));
                *last_user = Message::builder().role(ConversationRole::User).set_content(Some(blocks)).build()?;
            }
        }
    }
    limit_cache_points(system, messages)
}

/// Drops the earliest cache points beyond the limit.
fn limit_cache_points(system: &mut Vec<SystemContentBlock>, messages: &mut [Message]) -> Result<(), TranslateError> {
    let in_messages: usize = messages.iter().map(|m| m.content().iter().filter(|b| b.is_cache_point()).count()).sum();
    let in_system = system.iter().filter(|b| b.is_cache_point()).count();
    let mut excess = (in_system + in_messages).saturating_sub(MAX_CACHE_POINTS);
    if excess == 0 {
        return Ok(());
    }
    system.retain(|b| {
        let drop = excess > 0 && b.is_cache_point();
        excess -= usize::from(drop);
        !drop
    });
    for message in messages.iter_mut() {
        if excess == 0 {
            break;
        }
        let mut blocks = message.content().to_vec();
        blocks.retain(|b| {
            let drop = excess > 0 && b.is_cache_point();
            excess -= usize::from(drop);
            !drop
        });
        *message = Message::builder().role(message.role().clone()).set_content(Some(blocks)).build()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(role: ConversationRole, blocks: Vec<ContentBlock>) -> Message {
        Message::builder().role(role).set_content(Some(blocks)).build().unwrap()
    }

    fn count(system: &[SystemContentBlock], messages: &[Message]) -> usize {
        system.iter().filter(|b| b.is_cache_point()).count()
            + messages.iter().flat_map(|m| m.content()).filter(|b| b.is_cache_point()).count()
    }

    #[test]
    fn system_and_last_user_turn() {
        let mut system = vec![SystemContentBlock::Text("s".into())];
        let mut messages = vec![
            message(ConversationRole::User, vec![ContentBlock::Text("a".into())]),
            message(ConversationRole::Assistant, vec![ContentBlock::Text("b".into())]),
            message(ConversationRole::User, vec![ContentBlock::Text("c".into())]),
        ];
        apply_cache_points(CachePlan { system: true, messages: true }, &mut system, &mut messages).unwrap();
        assert!(system[1].is_cache_point());
        assert!(messages[2].content()[1].is_cache_point());
        assert_eq!(messages[0].content().len(), 1);
    }

    #[test]
    fn no_plan_no_points() {
        let mut system = vec![SystemContentBlock::Text("s".into())];
        let mut messages = vec![message(ConversationRole::User, vec![ContentBlock::Text("a".into())])];
        apply_cache_points(CachePlan::default(), &mut system, &mut messages).unwrap();
        assert_eq!(count(&system, &messages), 0);
    }

    #[test]
    fn at_most_four_keeping_the_latest() {
        let point = || ContentBlock::CachePoint(cache_point().unwrap());
        let mut system = vec![SystemContentBlock::Text("s".into())];
        let mut messages = vec![
            message(
                ConversationRole::User,
                vec![ContentBlock::Text("1".into()), point(), ContentBlock::Text("2".into()), point()],
            ),
            message(ConversationRole::Assistant, vec![ContentBlock::Text("b".into())]),
            message(
                ConversationRole::User,
                vec![ContentBlock::Text("3".into()), point(), ContentBlock::Text("4".into())],
            ),
        ];
        apply_cache_points(CachePlan { system: true, messages: true }, &mut system, &mut messages).unwrap();
        assert_eq!(count(&system, &messages), MAX_CACHE_POINTS);
        assert!(!system.iter().any(SystemContentBlock::is_cache_point), "the earliest point went first");
        assert!(messages[2].content().last().unwrap().is_cache_point());
    }
}
