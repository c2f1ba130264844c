//! Image configuration controls: the user, labels, base image, registry, age and size.

use super::{Control, judged, required_list, required_value, result, unknown};
use crate::facts::{BASE_NAME_LABEL, Prepared, days_between};
use crate::matchers::{BaseImageMatcher, FieldError, ImageMatch, LabelMatcher, Pattern};
use crate::raw::RawPolicy;
use crate::verdict::{ControlOutcome, ControlResult, ImageItem, Item, LabelItem};

#[derive(Debug, Clone)]
pub(crate) enum ImageConfigControl {
    NonRootUser,
    RequiredLabels(Vec<LabelMatcher>),
    ForbiddenLabels(Vec<LabelMatcher>),
    TrustedBaseImages(Vec<BaseImageMatcher>),
    ForbiddenBaseImages(Vec<BaseImageMatcher>),
    AllowedRegistries(Vec<Pattern>),
    ImageMaxAge { days: u32 },
    MaxImageSize { megabytes: u64 },
}

fn control(control: ImageConfigControl) -> Result<Option<Control>, FieldError> {
    Ok(Some(Control::ImageConfig(control)))
}

pub(super) fn non_root_user(raw: &mut RawPolicy) -> Result<Option<Control>, FieldError> {
    if !raw.only_none_root_users {
        return Ok(None);
    }
    control(ImageConfigControl::NonRootUser)
}

pub(super) fn required_labels(raw: &mut RawPolicy) -> Result<Option<Control>, FieldError> {
    if !raw.required_labels_enabled {
        return Ok(None);
    }
    let labels = required_list("required_labels_enabled", raw.required_labels.take())?;
    control(ImageConfigControl::RequiredLabels(labels))
}

pub(super) fn forbidden_labels(raw: &mut RawPolicy) -> Result<Option<Control>, FieldError> {
    if !raw.forbidden_labels_enabled {
        return Ok(None);
    }
    let labels = required_list("forbidden_labels_enabled", raw.forbidden_labels.take())?;
    control(ImageConfigControl::ForbiddenLabels(labels))
}

pub(super) fn trusted_base_images(raw: &mut RawPolicy) -> Result<Option<Control>, FieldError> {
    if !raw.trusted_base_images_enabled {
        return Ok(None);
    }
    let images = required_list(
        "trusted_base_images_enabled",
        raw.trusted_base_images.take(),
    )?;
    control(ImageConfigControl::TrustedBaseImages(images))
}

pub(super) fn forbidden_base_images(raw: &mut RawPolicy) -> Result<Option<Control>, FieldError> {
    if !raw.forbidden_base_images_enabled {
        return Ok(None);
    }
    let images = required_list(
        "forbidden_base_images_enabled",
        raw.forbidden_base_images.take(),
    )?;
    control(ImageConfigControl::ForbiddenBaseImages(images))
}

pub(super) fn allowed_registries(raw: &mut RawPolicy) -> Result<Option<Control>, FieldError> {
    if !raw.allowed_registries_enabled {
        return Ok(None);
    }
    let registries = required_list("allowed_registries_enabled", raw.allowed_registries.take())?;
    control(ImageConfigControl::AllowedRegistries(registries))
}

pub(super) fn image_max_age(raw: &mut RawPolicy) -> Result<Option<Control>, FieldError> {
    if !raw.image_max_age_days_enabled {
        return Ok(None);
    }
    let days = required_value(
        "image_max_age_days_enabled",
        "image_max_age_days",
        raw.image_max_age_days,
    )?;
    control(ImageConfigControl::ImageMaxAge { days })
}

pub(super) fn max_image_size(raw: &mut RawPolicy) -> Result<Option<Control>, FieldError> {
    if !raw.max_image_size_enabled {
        return Ok(None);
    }
    let megabytes = required_value(
        "max_image_size_enabled",
        "max_image_size_mb",
        raw.max_image_size_mb,
    )?;
    control(ImageConfigControl::MaxImageSize { megabytes })
}

impl ImageConfigControl {
    pub fn id(&self) -> &'static str {
        match self {
            ImageConfigControl::NonRootUser => "only_none_root_users",
            ImageConfigControl::RequiredLabels(_) => "required_labels",
            ImageConfigControl::ForbiddenLabels(_) => "forbidden_labels",
            ImageConfigControl::TrustedBaseImages(_) => "trusted_base_images",
            ImageConfigControl::ForbiddenBaseImages(_) => "forbidden_base_images",
            ImageConfigControl::AllowedRegistries(_) => "allowed_registries",
            ImageConfigControl::ImageMaxAge { .. } => "image_max_age_days",
            ImageConfigControl::MaxImageSize { .. } => "max_image_size_mb",
        }
    }

    pub fn evaluate(&self, prepared: &Prepared<'_>) -> ControlResult {
        let id = self.id();
        match self {
            ImageConfigControl::NonRootUser => non_root(id, prepared),
            ImageConfigControl::RequiredLabels(required) => {
                let items = required
                    .iter()
                    .filter(|l| !l.matches(prepared.labels))
                    .map(|l| label_item(&l.key, l.value.as_ref().map(|v| v.as_str().to_owned())))
                    .collect();
                judged(id, items, "every required label is set", |n| {
                    format!("{n} required labels are missing")
                })
            }
            ImageConfigControl::ForbiddenLabels(forbidden) => {
                let items = forbidden
                    .iter()
                    .filter(|l| l.matches(prepared.labels))
                    .map(|l| label_item(&l.key, prepared.labels.get(&l.key).cloned()))
                    .collect();
                judged(id, items, "no forbidden label is set", |n| {
                    format!("{n} forbidden labels are set")
                })
            }
            ImageConfigControl::TrustedBaseImages(trusted) => {
                base_image(id, prepared, trusted, BaseRule::Trusted)
            }
            ImageConfigControl::ForbiddenBaseImages(forbidden) => {
                base_image(id, prepared, forbidden, BaseRule::Forbidden)
            }
            ImageConfigControl::AllowedRegistries(allowed) => registries(id, prepared, allowed),
            ImageConfigControl::ImageMaxAge { days } => max_age(id, prepared, *days),
            ImageConfigControl::MaxImageSize { megabytes } => max_size(id, prepared, *megabytes),
        }
    }
}

fn label_item(key: &str, value: Option<String>) -> Item {
    Item::Label(Box::new(LabelItem {
        key: key.to_owned(),
        value,
    }))
}

fn image_item(reference: &str) -> Item {
    Item::Image(Box::new(ImageItem {
        reference: reference.to_owned(),
    }))
}

fn pass_or_fail(fail: bool) -> ControlOutcome {
    if fail {
        ControlOutcome::Fail
    } else {
        ControlOutcome::Pass
    }
}

fn non_root(id: &'static str, prepared: &Prepared<'_>) -> ControlResult {
    let Some(image) = prepared.input.inventory.image.as_ref() else {
        return unknown(id, "the scan has no image configuration".to_owned());
    };
    let user = image.user.as_deref().unwrap_or("").trim();
    let account = user.split(':').next().unwrap_or(user);
    if account.is_empty() || account == "root" || account == "0" {
        let shown = if user.is_empty() {
            "no USER (root)".to_owned()
        } else {
            format!("USER {user}")
        };
        let message = format!("the image runs as root: {shown}");
        result(id, ControlOutcome::Fail, message, Vec::new())
    } else {
        let message = format!("the image runs as `{user}`");
        result(id, ControlOutcome::Pass, message, Vec::new())
    }
}

/// Whether matching a base-image list is good (trusted) or bad (forbidden).
#[derive(Clone, Copy, PartialEq, Eq)]
enum BaseRule {
    Trusted,
    Forbidden,
}

fn base_image(
    id: &'static str,
    prepared: &Prepared<'_>,
    entries: &[BaseImageMatcher],
    rule: BaseRule,
) -> ControlResult {
    let Some(base) = &prepared.base else {
        return unknown(
            id,
            format!(
                "the base image is unknown: set the `{BASE_NAME_LABEL}` label or pass the base image"
            ),
        );
    };
    let listed = entries.iter().any(|entry| {
        entry
            .registry
            .as_ref()
            .is_none_or(|r| base.registry_matches(r))
            && base.repository_matches(&entry.imagename)
    });
    let name = base.original();
    let fails = listed == (rule == BaseRule::Forbidden);
    let message = match (rule, listed) {
        (BaseRule::Trusted, true) => format!("base image {name} is trusted"),
        (BaseRule::Trusted, false) => format!("base image {name} is not trusted"),
        (BaseRule::Forbidden, true) => format!("base image {name} is forbidden"),
        (BaseRule::Forbidden, false) => format!("base image {name} is not forbidden"),
    };
    let items = if fails {
        vec![image_item(name)]
    } else {
        Vec::new()
    };
    result(id, pass_or_fail(fails), message, items)
}

fn registries(id: &'static str, prepared: &Prepared<'_>, allowed: &[Pattern]) -> ControlResult {
    if prepared.names.is_empty() {
        return unknown(
            id,
            "the image has no name: scan a reference or a tagged archive".to_owned(),
        );
    }
    let items = prepared
        .names
        .iter()
        .filter(|n| !allowed.iter().any(|p| n.registry_matches(p)))
        .map(|n| image_item(n.original()))
        .collect();
    judged(id, items, "the image comes from an allowed registry", |n| {
        format!("{n} image names are outside the allowed registries")
    })
}

fn max_age(id: &'static str, prepared: &Prepared<'_>, days: u32) -> ControlResult {
    let image = prepared.input.inventory.image.as_ref();
    let Some(created) = image.and_then(|i| i.created.as_ref()) else {
        return unknown(id, "the image config has no creation time".to_owned());
    };
    let age = days_between(created.at(), prepared.input.now);
    let message = format!("the image is {age} days old (limit {days})");
    result(id, pass_or_fail(age > i64::from(days)), message, Vec::new())
}

fn max_size(id: &'static str, prepared: &Prepared<'_>, megabytes: u64) -> ControlResult {
    let image = prepared.input.inventory.image.as_ref();
    let Some(bytes) = image.and_then(|i| i.total_layer_size()) else {
        return unknown(id, "the layer sizes are unknown".to_owned());
    };
    let limit = megabytes.saturating_mul(1_000_000);
    let size = bytes as f64 / 1_000_000.0;
    let message = format!("the image is {size:.1} MB (limit {megabytes} MB)");
    result(id, pass_or_fail(bytes > limit), message, Vec::new())
}
