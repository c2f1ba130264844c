//! Runs the analyzers over an image, root filesystem or project directory and assembles the inventory.
