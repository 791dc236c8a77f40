//! The routing table built from the file's model entries: names → groups of targets sharing
//! load, each group with its fallbacks. Immutable once built; a reload builds a new one.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bedrock::model_params::ModelParams;

use super::clients::ClientKey;
use crate::config_file::{FileConfig, ModelSpec, RouterSpec, Strategy};

/// One Bedrock target of a name.
#[derive(Debug)]
pub struct RouteTarget {
    pub name: String,
    pub model: String,
    pub foundation_model: Option<String>,
    pub client: ClientKey,
    pub params: Arc<ModelParams>,
    pub timeout: Option<Duration>,
    pub listed: bool,
    /// Requests (streams until they end) this process has in flight on this target.
    pub in_flight: Arc<AtomicUsize>,
}

/// The targets of one name and where to go when they fail.
#[derive(Debug)]
pub struct Group {
    pub targets: Vec<Arc<RouteTarget>>,
    /// Target indices in weighted round-robin order (smoothly interleaved).
    schedule: Vec<usize>,
    next: AtomicUsize,
    pub fallbacks: Vec<String>,
    pub context_window_fallbacks: Vec<String>,
}

#[derive(Debug, Default)]
pub struct RouteTable {
    groups: HashMap<String, Group>,
    /// Names in file order, for `/models`.
    order: Vec<String>,
    pub router: RouterSpec,
    /// Whether a file was loaded at all (without one, every Bedrock id is served).
    pub from_file: bool,
}

impl RouteTable {
    pub fn new(file: &FileConfig) -> Self {
        let mut groups: HashMap<String, Vec<&ModelSpec>> = HashMap::new();
        let mut order = Vec::new();
        for spec in &file.models {
            if !groups.contains_key(&spec.name) {
                order.push(spec.name.clone());
            }
            groups.entry(spec.name.clone()).or_default().push(spec);
        }
        let groups = groups.into_iter().map(|(name, specs)| (name, group(&specs))).collect();
        Self { groups, order, router: file.router.clone(), from_file: true }
    }

    pub fn group(&self, name: &str) -> Option<&Group> {
        self.groups.get(name)
    }

    /// Every name, in file order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.order.iter().map(String::as_str)
    }

    /// Names to list in `/models`: those with a listed target, in file order.
    pub fn listed_names(&self) -> impl Iterator<Item = &str> {
        self.order.iter().filter(|n| self.groups[n.as_str()].targets.iter().any(|t| t.listed)).map(String::as_str)
    }

    /// Every distinct client the table uses.
    pub fn clients(&self) -> Vec<ClientKey> {
        let mut keys: Vec<ClientKey> = Vec::new();
        for target in self.groups.values().flat_map(|g| &g.targets) {
            if !keys.contains(&target.client) {
                keys.push(target.client.clone());
            }
        }
        keys
    }

    /// Whether Bedrock ids that are not names are served.
    pub fn serves_bedrock_ids(&self) -> bool {
        !self.from_file || self.router.expose_bedrock_models
    }
}

fn group(specs: &[&ModelSpec]) -> Group {
    let targets: Vec<Arc<RouteTarget>> = specs.iter().map(|s| Arc::new(target(s))).collect();
    let weights: Vec<u32> = specs.iter().map(|s| s.weight).collect();
    let mut fallbacks = Vec::new();
    let mut context_window_fallbacks = Vec::new();
    for spec in specs {
        extend_unique(&mut fallbacks, &spec.fallbacks);
        extend_unique(&mut context_window_fallbacks, &spec.context_window_fallbacks);
    }
    Group {
        targets,
        schedule: smooth_schedule(&weights),
        next: AtomicUsize::new(0),
        fallbacks,
        context_window_fallbacks,
    }
}

fn extend_unique(into: &mut Vec<String>, names: &[String]) {
    for name in names {
        if !into.contains(name) {
            into.push(name.clone());
        }
    }
}

fn target(spec: &ModelSpec) -> RouteTarget {
    RouteTarget {
        name: spec.name.clone(),
        model: spec.model.clone(),
        foundation_model: spec.foundation_model.clone(),
        client: ClientKey { region: spec.region.clone(), endpoint: spec.endpoint.clone(), access: spec.access.clone() },
        params: Arc::new(spec.params.clone()),
        timeout: spec.timeout,
        listed: spec.listed,
        in_flight: Arc::new(AtomicUsize::new(0)),
    }
}

/// Smooth weighted round-robin (as nginx does it): weights 5,1,1 give a a b a c a a, not
/// a a a a a b c, so a burst does not land on one target.
pub fn smooth_schedule(weights: &[u32]) -> Vec<usize> {
    let total: i64 = weights.iter().map(|w| i64::from(*w)).sum();
    let mut current = vec![0i64; weights.len()];
    let mut schedule = Vec::with_capacity(usize::try_from(total).unwrap_or(0));
    for _ in 0..total {
        for (c, w) in current.iter_mut().zip(weights) {
            *c += i64::from(*w);
        }
        let Some(best) = (0..current.len()).max_by_key(|&i| (current[i], std::cmp::Reverse(i))) else { break };
        current[best] -= total;
        schedule.push(best);
    }
    schedule
}

impl Group {
    /// The targets in the order to try them: the balancer's pick first, then the others.
    pub fn ordered(&self, strategy: Strategy) -> Vec<Arc<RouteTarget>> {
        if self.targets.len() == 1 {
            return self.targets.clone();
        }
        let turn = self.next.fetch_add(1, Ordering::Relaxed);
        let first = self.schedule[turn % self.schedule.len()];
        let mut order: Vec<usize> = (0..self.targets.len()).map(|i| (first + i) % self.targets.len()).collect();
        if strategy == Strategy::LeastInFlight {
            // Stable: among equally busy targets the round-robin order decides.
            order.sort_by_key(|&i| self.targets[i].in_flight.load(Ordering::Relaxed));
        }
        order.into_iter().map(|i| Arc::clone(&self.targets[i])).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_interleave() {
        assert_eq!(smooth_schedule(&[5, 1, 1]), [0, 0, 1, 0, 2, 0, 0]);
        assert_eq!(smooth_schedule(&[1, 1]), [0, 1]);
        assert_eq!(smooth_schedule(&[2, 1]), [0, 1, 0]);
    }

    fn spec(name: &str, model: &str, weight: u32) -> ModelSpec {
        ModelSpec {
            name: name.into(),
            model: model.into(),
            foundation_model: None,
            region: None,
            endpoint: None,
            access: Default::default(),
            params: Default::default(),
            listed: true,
            weight,
            timeout: None,
            fallbacks: vec![],
            context_window_fallbacks: vec![],
        }
    }

    fn table(specs: Vec<ModelSpec>) -> RouteTable {
        RouteTable::new(&FileConfig { models: specs, ..Default::default() })
    }

    #[test]
    fn round_robin_spreads_by_weight_and_keeps_the_others_as_retries() {
        let table = table(vec![spec("c", "a", 2), spec("c", "b", 1)]);
        let group = table.group("c").unwrap();
        let firsts: Vec<String> = (0..6).map(|_| group.ordered(Strategy::RoundRobin)[0].model.clone()).collect();
        assert_eq!(firsts, ["a", "b", "a", "a", "b", "a"]);
        assert_eq!(group.ordered(Strategy::RoundRobin).len(), 2);
    }

    #[test]
    fn least_in_flight_prefers_the_idle_target() {
        let table = table(vec![spec("c", "a", 1), spec("c", "b", 1)]);
        let group = table.group("c").unwrap();
        group.targets[0].in_flight.store(3, Ordering::Relaxed);
        for _ in 0..4 {
            assert_eq!(group.ordered(Strategy::LeastInFlight)[0].model, "b");
        }
    }

    #[test]
    fn names_keep_file_order_and_unlisted_names_are_hidden() {
        let mut hidden = spec("z", "m", 1);
        hidden.listed = false;
        let table = table(vec![spec("b", "m", 1), hidden, spec("a", "m", 1), spec("b", "n", 1)]);
        assert_eq!(table.listed_names().collect::<Vec<_>>(), ["b", "a"]);
        assert_eq!(table.clients().len(), 1);
        assert!(table.serves_bedrock_ids());
    }
}
