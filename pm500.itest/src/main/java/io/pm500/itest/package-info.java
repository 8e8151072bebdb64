/** In-framework integration tests of the gateway's bundle set. */
package io.pm500.itest;
