//! The configuration file's names: each name's first target is reached with its own region,
//! endpoint and AWS access (assumed roles, profiles, Bedrock API keys), its region's model
//! list read, and with `--invoke` the model called once.

use std::sync::Arc;
use std::time::Duration;

use aws_config::SdkConfig;

use super::checks::{converse_once, embed_once};
use super::explain::{explain, Action};
use super::{Check, DoctorOptions};
use crate::config::Config;
use crate::models::{Catalog, DiscoveryOptions, OutputKind};
use crate::routing::clients::{ClientPool, Upstream};
use crate::routing::table::{RouteTable, RouteTarget};
use crate::upstream::Bedrock;

/// One check per name of the file (none without a file).
pub async fn route_checks(config: &Config, sdk: &SdkConfig, region: &str, options: DoctorOptions) -> Vec<Check> {
    let Some(file) = &config.file else { return Vec::new() };
    let table = RouteTable::new(file);
    let discovery = DiscoveryOptions {
        system_profiles: config.enable_cross_region_inference,
        application_profiles: config.enable_application_inference_profiles,
        miss_refresh_interval: Duration::MAX,
    };
    let bedrock = Bedrock::new(sdk);
    let catalog = Arc::new(Catalog::new(bedrock.clone(), discovery));
    let pool = ClientPool::new(sdk.clone(), Upstream { bedrock, catalog, region: region.to_owned() }, discovery);
    let mut checks = Vec::new();
    for name in table.names() {
        if let Some(target) = table.group(name).and_then(|g| g.targets.first()) {
            checks.push(route_check(&pool, name, target, options).await);
        }
    }
    checks
}

async fn route_check(pool: &ClientPool, name: &str, target: &RouteTarget, options: DoctorOptions) -> Check {
    let upstream = pool.get(&target.client).await;
    let title = format!("Model name {name}");
    let setting = format!("the configuration file's `{name}`");
    let action = Action::Invoke { setting: &setting, model: &target.model };
    if let Err(error) = upstream.catalog.refresh().await {
        let explained = explain(&error, Action::List, &upstream.region);
        return Check::fail("config_model", title, explained.detail, explained.fix);
    }
    let reached = format!("{} in {} with {}", target.model, upstream.region, target.client.access.describe());
    if !options.invoke {
        return Check::pass("config_model", title, format!("{reached}: its region's models are listed"));
    }
    let index = upstream.catalog.snapshot();
    let answer = match index.get(&target.model).map(|e| e.output) {
        Some(OutputKind::Image) => {
            return Check::pass("config_model", title, format!("{reached} (image models are not called)"))
        }
        Some(OutputKind::Embedding) => embed_once(&upstream.bedrock, &index, &target.model).await,
        _ => converse_once(&upstream.bedrock, &target.model).await,
    };
    match answer {
        Ok(detail) => Check::pass("config_model", title, format!("{reached}: {detail}")),
        Err(error) => {
            let explained = explain(&error, action, &upstream.region);
            Check::fail("config_model", title, explained.detail, explained.fix)
        }
    }
}
