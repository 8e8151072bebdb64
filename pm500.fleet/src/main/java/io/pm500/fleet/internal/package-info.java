/** The fleet agent: repository index, resolution, staging, apply, health gate, rollback. Not exported. */
package io.pm500.fleet.internal;
