"""Sources: GitHub, local trees and archives, packages, live servers, registries."""
